"""``zdt rehearse``: upgrade a populated database under live traffic and report what clients saw."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import click
from rich.markup import escape

from zerodowntime.cli.errors import friendly
from zerodowntime.cli.foreground import sigterm_as_interrupt
from zerodowntime.cli.targets import target_options
from zerodowntime.project import require_services, services_for_command, setup_django
from zerodowntime.rehearsal.verdict import Targets

REHEARSAL_REDIS_DB = 1
DEFAULT_PRODUCTS = 100_000
MAX_PRODUCTS = 5_000_000


def _products(specs: tuple[str, ...]) -> int:
    """Return the products ``--rows`` asks for (the last value; default 100,000)."""
    if not specs:
        return DEFAULT_PRODUCTS
    try:
        products = int(specs[-1])
    except ValueError:
        raise click.BadParameter(
            f"{specs[-1]!r} is not a number (app.Model=N needs --from)", param_hint="--rows"
        ) from None
    if not 0 <= products <= MAX_PRODUCTS:
        raise click.BadParameter(f"{products} is not in 0..{MAX_PRODUCTS:,}", param_hint="--rows")
    return products


def _redis_database(url: str, number: int) -> str:
    """Return ``url`` pointing at Redis database ``number`` (kept apart from other workers)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        return url
    return parts._replace(path=f"/{number}").geturl()


@click.command()
@click.option(
    "--from", "from_ref", default=None, metavar="REF",
    help="Rehearse the project's own upgrade from this git release (ZDT_RELEASES_FROM_GIT),"
    " each release running its own code, with ORM traffic on every project model.",
)  # fmt: skip
@click.option(
    "--to", "to_ref", default=None, metavar="REF",
    help="With --from: the release to upgrade to, one release at a time (default: the newest).",
)  # fmt: skip
@click.option(
    "--rows", "rows_specs", multiple=True, metavar="N | app.Model=N",
    help="Rows before the traffic starts: products (default 100,000); with --from, rows of"
    " every project model (default 100) or of one (app.Model=N, repeatable).",
)  # fmt: skip
@click.option(
    "--rate", default=25.0, show_default=True, type=click.FloatRange(min=0.1),
    help="Requests per second (open loop: sent on schedule even when the server is slow).",
)  # fmt: skip
@click.option(
    "--phase-seconds", "--duration", "phase_seconds", default=12.0, show_default=True,
    type=click.FloatRange(min=0.5),
    help="Seconds of the baseline and of each phase after a switch.",
)  # fmt: skip
@click.option(
    "--warm-up-seconds", default=5.0, show_default=True, type=click.FloatRange(min=0),
    help="Seconds of traffic that warm the first release's servers before the baseline (shown"
    " as the warm-up phase: its failures count, its latencies are not judged; 0: none).",
)  # fmt: skip
@click.option(
    "--path", "path", default=None, metavar="X,Y,...",
    help="Releases to go through, in order (default: all); skipping one is refused.",
)  # fmt: skip
@click.option(
    "--allow-skip", is_flag=True,
    help="Run a path that skips a release anyway, to show what the jump breaks.",
)  # fmt: skip
@click.option(
    "--report-dir", default=Path("reports"), show_default=True,
    type=click.Path(file_okay=False, path_type=Path), help="Where the report folder goes.",
)  # fmt: skip
@click.option(
    "--servers", default=2, show_default=True, type=click.IntRange(1, 8),
    help="App servers (with --from: ORM client processes) per release.",
)  # fmt: skip
@click.option("--seed", default=0, show_default=True, help="Seed of the traffic mix and faults.")
@click.option(
    "--faults", is_flag=True,
    help="Inject the faults of a real upgrade at seeded times: a blocker transaction before each"
    " migrate, SIGKILL of an app server and of the worker, a PostgreSQL restart during a"
    " backfill, Redis stopped for 10 s.",
)  # fmt: skip
@click.option(
    "--database-work-niceness", default=10, show_default=True, type=click.IntRange(0, 19),
    help="When PostgreSQL runs on this machine: the niceness of its backends"
    " doing the upgrade's own work (zdt migrate's index builds and validations, the workers'"
    " backfills, autovacuum) while they hold no lock that blocks the application. Here the"
    " database shares its cores with the app servers and the load generator; in production it"
    " has cores of its own. Where this process may write the CPU cgroup hierarchy (as root),"
    " that work also runs in a cgroup at the weight of niceness 10 (a niceness only ranks a process"
    " within its session), and, without --from, each app server and worker runs in one with"
    " cpu.idle set while it starts and stops. 0 turns the lowering of the database's work off.",
)  # fmt: skip
@click.option(
    "--fresh-database", is_flag=True,
    help="With --from: migrate and populate the first release's database anew instead of"
    " copying the one an earlier run kept (zdt_start_* databases on the project's server).",
)  # fmt: skip
@click.option(
    "--keep-services/--stop-services", default=False,
    help="Leave the embedded PostgreSQL and Redis running if this command started them.",
)  # fmt: skip
@target_options
@friendly
def rehearse(
    from_ref: str | None,
    to_ref: str | None,
    rows_specs: tuple[str, ...],
    rate: float,
    phase_seconds: float,
    warm_up_seconds: float,
    path: str | None,
    allow_skip: bool,
    report_dir: Path,
    servers: int,
    seed: int,
    faults: bool,
    database_work_niceness: int,
    fresh_database: bool,
    keep_services: bool,
    targets: Targets,
) -> None:
    """Rehearse the upgrade path on a fresh database under live traffic.

    Creates the database at the first release of the path, populates it, starts two app
    servers and a worker, sends traffic, then upgrades one release at a time (stop the
    workers, migrate, start new workers, wait for background migrations, roll the app
    servers), also sending the previous release's requests. Prints each phase's numbers as it
    ends and writes report.json and report.html with the verdict: PASSED, FAILED (naming the
    targets missed; the exit status is then 1) or, for a path that skips a release, EXPECTED
    FAILURE.

    With --from REF, rehearses any project whose releases are git refs: a scratch database on
    the project's server is migrated to REF with REF's code and populated with generated rows of
    every project model; processes of each release's own code create, read, update and delete
    instances of every model through the ORM while each release migrates and replaces them; at
    the end every acknowledged write must be there and every acknowledged delete gone.
    """
    if from_ref is None and (to_ref is not None or fresh_database):
        raise click.UsageError("--to and --fresh-database need --from (the release to start from)")
    if from_ref is not None and (path or allow_skip or faults):
        raise click.UsageError(
            "--from goes one release at a time: drop --path, --allow-skip and --faults"
        )
    with sigterm_as_interrupt(), services_for_command(keep=keep_services):
        urls = require_services() if from_ref is None else None
        setup_django()
        from rich.console import Console

        from zerodowntime import conf
        from zerodowntime.rehearsal.cluster import ClusterError
        from zerodowntime.rehearsal.orchestrator import (
            RehearsalConfig,
            RehearsalError,
            RehearsalResult,
        )
        from zerodowntime.rehearsal.orchestrator import rehearse as run_rehearsal
        from zerodowntime.rehearsal.report import error_groups, verdict_of, write_report
        from zerodowntime.rehearsal.scenario import ScenarioError
        from zerodowntime.rehearsal.summary import LiveProgress, phase_stats, summary_table

        manifest = conf.release_manifest()
        versions = tuple(v.strip() for v in path.split(",") if v.strip()) if path else None
        workdir = report_dir / f"rehearsal-{datetime.now():%Y%m%d-%H%M%S}"
        console = Console()
        if not console.is_terminal:
            console = Console(width=130)
        if from_ref is not None:
            from zerodowntime.rehearsal.from_git import rehearse_from_git, release_path
            from zerodowntime.rehearsal.orm_models import RowsError, parse_rows

            try:
                rows, model_rows = parse_rows(rows_specs)
            except RowsError as exc:
                raise click.BadParameter(str(exc), param_hint="--rows") from exc
            config = RehearsalConfig(
                path=release_path(manifest, from_ref, to_ref),
                server_url="",
                redis_url="",
                workdir=workdir,
                rows=rows,
                rate=rate,
                phase_seconds=phase_seconds,
                servers=servers,
                seed=seed,
                model_rows=tuple(f"{label}={n}" for label, n in model_rows.items()),
                database_work_niceness=database_work_niceness,
            )
            named = "".join(f", {spec}" for spec in config.model_rows)
            console.print(
                f"Rehearsing {' -> '.join(config.path)} with {rows:,} rows per model{named},"
                f" ORM traffic at {rate:g} operations/s (logs in {workdir}/logs)"
            )
            run_chosen: Callable[..., RehearsalResult] = partial(
                rehearse_from_git, fresh_database=fresh_database, say=console.print
            )
        else:
            assert urls is not None
            config = RehearsalConfig(
                path=versions or tuple(manifest.versions),
                server_url=urls.database_url,
                redis_url=_redis_database(urls.redis_url, REHEARSAL_REDIS_DB),
                workdir=workdir,
                rows=_products(rows_specs),
                rate=rate,
                phase_seconds=phase_seconds,
                warm_up_seconds=warm_up_seconds,
                servers=servers,
                seed=seed,
                allow_skip=allow_skip,
                faults=faults,
                database_work_niceness=database_work_niceness,
            )
            console.print(
                f"Rehearsing {' -> '.join(config.path)} with {config.rows:,} rows at {rate:g}"
                f" requests/s (logs in {workdir}/logs)"
            )
            run_chosen = run_rehearsal
        try:
            result = run_chosen(config, LiveProgress(console))
        except (RehearsalError, ClusterError, ScenarioError) as exc:
            raise click.ClickException(str(exc)) from exc
        stats = phase_stats(result.phases, result.records, result.lock_samples)
        console.print(summary_table(stats, title=f"Rehearsal {' -> '.join(config.path)}"))
        for check in result.checks:
            colour = {"passed": "green", "failed": "bold red"}.get(check.status, "yellow")
            console.print(f"integrity: [{colour}]{check.status:<7}[/] {check.name}: {check.detail}")
        verdict = verdict_of(result, targets)
        json_path, html_path = write_report(result, workdir, verdict)
        console.print(f"report: {html_path} and {json_path}")
        for label, reason in sorted(result.left_out.items()):
            console.print(
                f"left out of the traffic (no instance could be made): {label}: {reason}",
                markup=False,
            )
        if result.lowered_statements:
            in_group = " in a CPU cgroup at the weight of niceness 10"
            console.print(
                f"ran at database niceness {database_work_niceness}"
                f"{in_group if result.lowered_in_cpu_group else ''}"
                " (blocking no query):"
                f" {', '.join(result.lowered_statements[:6])}",
                markup=False,
            )
        for refusal in result.refusals:
            console.print(f"migration refused by a guard: {refusal}", markup=False)
        groups = error_groups(result)
        if groups:
            heading = "errors old clients got" if result.skip else "failed requests"
            console.print(f"{heading} (count, phase, client release, operation, error):")
            for group in groups[:15]:
                console.print(
                    f"  {group['count']:>5}  {group['phase']:<16} {group['client_release']:<6}"
                    f" {group['operation']:<14} {group['error']}",
                    markup=False,
                )
        if result.server_errors:
            console.print('errors in the app servers\' logs (behind "Internal error."):')
            for error in result.server_errors[:10]:
                console.print(f"  {error}", markup=False)
        for fault in result.faults:
            console.print(
                f"fault {fault.name} from {fault.started:.1f} s to {fault.end:.1f} s:"
                f" {fault.detail}",
                markup=False,
            )
        for missed in verdict.missed:
            console.print(
                f"target missed: {missed.name}: {missed.measured} (target {missed.target})",
                markup=False,
            )
        colour = {"PASSED": "bold green", "FAILED": "bold red"}.get(verdict.outcome, "bold yellow")
        console.print(
            f"{len(result.records)} requests, {len(result.failed)} failed: "
            f"[{colour}]{escape(verdict.headline)}[/]"
        )
        if verdict.failed:
            raise click.exceptions.Exit(1)


COMMANDS = [rehearse]
