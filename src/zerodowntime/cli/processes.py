"""``zdt migrate``, ``serve`` and ``worker``: run the project at a given release."""

from __future__ import annotations

import os
import sys

import click

from zerodowntime.cli.errors import friendly
from zerodowntime.project import process_environment, project_setting, setup_django
from zerodowntime.services import state_dir

RELEASE_OPTION = click.option(
    "--release", "-r", default=None, metavar="X", help="Release to run (default: the newest)."
)


@click.command()
@RELEASE_OPTION
@friendly
def migrate(release: str | None) -> None:
    """Migrate the database to the head migration of a release (default: the newest)."""
    setup_django(release=release)
    from zerodowntime.deploy.migrate import migrate_to_release

    migrate_to_release(release, stdout=sys.stdout)


@click.command()
@RELEASE_OPTION
@click.option("--port", "-p", default=8000, show_default=True, help="Port on 127.0.0.1.")
@click.option("--workers", "-w", default=3, show_default=True, help="gunicorn worker processes.")
@click.option("--threads", default=4, show_default=True, help="Threads per worker.")
@friendly
def serve(release: str | None, port: int, workers: int, threads: int) -> None:
    """Serve the GraphQL API of a release with gunicorn until stopped (Ctrl-C)."""
    env = process_environment(release=release)
    env.update(ZDT_PROCESS_ROLE="web", ZDT_PROCESS_PORT=str(port))
    env.setdefault("PGAPPNAME", "zdt-web")
    application = project_setting("wsgi_application", "ZDT_WSGI_APPLICATION")
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        application,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--graceful-timeout",
        "10",
        "--timeout",
        "60",
        "--access-logfile",
        "-",
        "--log-level",
        "warning",
    ]
    click.echo(
        f"Serving release {release or 'newest'} on http://127.0.0.1:{port}/graphql/", err=True
    )
    os.execve(sys.executable, args, env)


@click.command()
@RELEASE_OPTION
@click.option("--concurrency", "-c", default=2, show_default=True, help="Worker processes.")
@click.option("--beat/--no-beat", default=True, show_default=True, help="Run Celery beat inside.")
@friendly
def worker(release: str | None, concurrency: int, beat: bool) -> None:
    """Run a Celery worker (with beat) for a release until stopped."""
    env = process_environment(release=release)
    env["ZDT_PROCESS_ROLE"] = "worker"
    env.setdefault("PGAPPNAME", "zdt-worker")
    app = project_setting("celery_app", "ZDT_CELERY_APP")
    schedule = state_dir() / f"celerybeat-schedule-{os.getpid()}"
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
    os.execve(sys.executable, args, env)


COMMANDS = [migrate, serve, worker]
