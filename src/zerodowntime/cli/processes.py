"""``zdt migrate``, ``serve`` and ``worker``: run the project at a given release."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from zerodowntime.cli.errors import friendly
from zerodowntime.cli.foreground import run_foreground, sigterm_as_interrupt
from zerodowntime.cli.statement_log import statement_log
from zerodowntime.project import (
    process_environment,
    project_setting,
    running_release,
    services_for_command,
    setup_django,
)
from zerodowntime.services import state_dir
from zerodowntime.subprocesses import process_exists

# gunicorn worker classes `zdt serve` offers (docs/deploying.md, "Slow clients").
WORKER_CLASSES = ("gthread", "asgi")
RELEASE_OPTION = click.option(
    "--release",
    "-r",
    default=None,
    metavar="X",
    help="Release to run (default: the database's; the one before it is allowed too).",
)
ALLOW_SKIP_OPTION = click.option(
    "--allow-skip",
    is_flag=True,
    help="Jump over releases and ignore older live processes (only to demonstrate what breaks).",
)
LOG_OPTIONS = (
    click.option(
        "--log-file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="File for each DDL statement's record (default: logs/migrate.log in the state dir).",
    ),
    click.option(
        "--verbose", "-v", is_flag=True, help="Print each DDL statement's record instead."
    ),
)


@click.command()
@click.option(
    "--release", "-r", default=None, metavar="X", help="Release to migrate to (default: newest)."
)
@ALLOW_SKIP_OPTION
@LOG_OPTIONS[0]
@LOG_OPTIONS[1]
@friendly
def migrate(release: str | None, allow_skip: bool, log_file: Path | None, verbose: bool) -> None:
    """Migrate the database forward to the head migration of a release (default: the newest).

    Refuses to go backward (that is `zdt rollback`), to skip a release, or to migrate while
    processes older than the database's release run, unless --allow-skip. Prints one line per
    migration: what it did, its strongest lock and how long it was held.
    """
    setup_django(release=release)
    from zerodowntime import conf
    from zerodowntime.deploy.current import current_release
    from zerodowntime.deploy.guards import check_migration
    from zerodowntime.deploy.heartbeat import live_processes

    manifest = conf.release_manifest()
    current = current_release(manifest)
    live = live_processes() if current is not None else []
    warnings = check_migration(
        manifest.versions,
        current=current,
        target=release or manifest.newest.version,
        live_releases=[p.release for p in live],
        allow_skip=allow_skip,
    )
    for warning in warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    _migrate_logged(release or manifest.newest.version, log_file, verbose)


def _migrate_logged(release: str, log_file: Path | None, verbose: bool) -> None:
    """Migrate to ``release`` with one line per migration and the statements in the log."""
    from zerodowntime import conf
    from zerodowntime.deploy.current import current_release
    from zerodowntime.deploy.migrate import migrate_to_release

    with statement_log(log_file, verbose=verbose) as path:
        migrate_to_release(release, stdout=sys.stdout, one_line=True)
    click.echo(f"The database is at release {current_release(conf.release_manifest())}.")
    if path is not None:
        click.echo(f"Each DDL statement is logged in {path}.")


@click.command()
@click.option("--to", "target", required=True, metavar="X", help="Release to go back to.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (for scripts).")
@LOG_OPTIONS[0]
@LOG_OPTIONS[1]
@friendly
def rollback(target: str, yes: bool, log_file: Path | None, verbose: bool) -> None:
    """Migrate the database back to an older release, after showing what that drops.

    Prints the migrations it unapplies and the columns and tables it drops with how many values
    they hold, refuses while processes of a newer release than X are live, and asks first.
    """
    setup_django(release=target)
    from zerodowntime import conf
    from zerodowntime.deploy.current import current_release
    from zerodowntime.deploy.guards import check_rollback
    from zerodowntime.deploy.heartbeat import live_processes
    from zerodowntime.deploy.rollback import plan_rollback

    manifest = conf.release_manifest()
    current = current_release(manifest)
    live = live_processes() if current is not None else []
    check_rollback(
        manifest.versions, current=current, target=target, live_releases=[p.release for p in live]
    )
    plan = plan_rollback(manifest, target)
    click.echo(f"Rolling back from {current} to {target} unapplies:")
    for step in plan.unapplied:
        click.echo(f"  {step.app_label}.{step.name}: {step.description}")
    if plan.dropped:
        click.echo("and drops:")
        for dropped in plan.dropped:
            click.echo(f"  {dropped}")
    else:
        click.echo("and drops no column or table.")
    if not yes:
        try:
            confirmed = click.confirm("Roll back and drop this?", default=False, err=True)
        except click.Abort:
            raise click.ClickException(
                "no answer on stdin: nothing was rolled back (pass --yes to roll back without"
                " asking)"
            ) from None
        if not confirmed:
            raise click.ClickException("cancelled: nothing was rolled back")
    _migrate_logged(target, log_file, verbose)


@click.command()
@RELEASE_OPTION
@click.option("--port", "-p", default=8000, show_default=True, help="Port on 127.0.0.1.")
@click.option("--workers", "-w", default=3, show_default=True, help="gunicorn worker processes.")
@click.option("--threads", default=4, show_default=True, help="Threads per worker (gthread).")
@click.option(
    "--worker-class",
    type=click.Choice(WORKER_CLASSES),
    default="gthread",
    show_default=True,
    help="gthread: threads read requests (put a buffering proxy in front); asgi: an event loop"
    " reads each whole request before a thread serves it (slow clients hold no thread).",
)
@friendly
def serve(release: str | None, port: int, workers: int, threads: int, worker_class: str) -> None:
    """Serve the project's application at a release with gunicorn until Ctrl-C or SIGTERM."""
    with sigterm_as_interrupt(), services_for_command():
        version = running_release(release)
        _serve(version, port, workers, threads, worker_class)


def _serve(release: str | None, port: int, workers: int, threads: int, worker_class: str) -> None:
    env = process_environment(release=release)
    env.update(ZDT_PROCESS_ROLE="web", ZDT_PROCESS_PORT=str(port))
    env.setdefault("PGAPPNAME", "zdt-web")
    kind = "asgi" if worker_class == "asgi" else "wsgi"
    application = project_setting(f"{kind}_application", f"ZDT_{kind.upper()}_APPLICATION")
    args = gunicorn_command(application, port, workers, threads, worker_class)
    what = f"release {release}" if release else "the project"
    click.echo(f"Serving {what} on http://127.0.0.1:{port}/graphql/", err=True)
    _exit_with(run_foreground(args, env))


def gunicorn_command(
    application: str, port: int, workers: int, threads: int, worker_class: str
) -> list[str]:
    """Return the gunicorn command line that serves ``application`` on 127.0.0.1:``port``."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        application,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        *(["--threads", str(threads)] if worker_class == "gthread" else []),
        "--worker-class",
        worker_class,
        "--graceful-timeout",
        "10",
        "--timeout",
        "60",
        "--access-logfile",
        "-",
        "--log-level",
        "warning",
        "--config",
        "python:zerodowntime.deploy.gunicorn_config",
    ]


def _exit_with(code: int) -> None:
    """Exit with the child's failure code (a child stopped by a signal is a normal stop)."""
    if code > 0:
        sys.exit(code)


@click.command()
@RELEASE_OPTION
@click.option("--concurrency", "-c", default=2, show_default=True, help="Worker processes.")
@click.option("--beat/--no-beat", default=True, show_default=True, help="Run Celery beat inside.")
@friendly
def worker(release: str | None, concurrency: int, beat: bool) -> None:
    """Run a Celery worker (with beat) for a release until stopped (Ctrl-C or SIGTERM)."""
    with sigterm_as_interrupt(), services_for_command():
        version = running_release(release)
        schedule = state_dir() / f"celerybeat-schedule-{os.getpid()}"
        schedule.parent.mkdir(parents=True, exist_ok=True)
        _remove_schedules(exited_only=True)
        try:
            _work(version, concurrency, beat, schedule)
        finally:
            _remove_schedules(pid=os.getpid())


def _remove_schedules(*, pid: int | None = None, exited_only: bool = False) -> None:
    """Remove the beat schedule files of ``pid``, or of every worker that is gone."""
    for path in state_dir().glob("celerybeat-schedule-*"):
        owner = path.name.removeprefix("celerybeat-schedule-").split(".")[0]
        if not owner.isdigit() or (pid is not None and int(owner) != pid):
            continue
        if exited_only and process_exists(int(owner)):
            continue
        path.unlink(missing_ok=True)


def _work(release: str | None, concurrency: int, beat: bool, schedule: Path) -> None:
    env = process_environment(release=release)
    env["ZDT_PROCESS_ROLE"] = "worker"
    env.setdefault("PGAPPNAME", "zdt-worker")
    app = project_setting("celery_app", "ZDT_CELERY_APP")
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        app,
        "worker",
        "--loglevel",
        "INFO",
        "--concurrency",
        str(concurrency),
        "-Q",
        "default,backfills",
    ]
    if beat:
        args += ["--beat", "--schedule", str(schedule)]
    _exit_with(run_foreground(args, env))


COMMANDS = [migrate, rollback, serve, worker]
