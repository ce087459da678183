"""``zdt rehearse``: upgrade a populated database under live traffic and report what clients saw."""

from __future__ import annotations

from datetime import datetime
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


def _redis_database(url: str, number: int) -> str:
    """Return ``url`` pointing at Redis database ``number`` (kept apart from other workers)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        return url
    return parts._replace(path=f"/{number}").geturl()


@click.command()
@click.option(
    "--rows", default=100_000, show_default=True, type=click.IntRange(0, 5_000_000),
    help="Products in the table before the traffic starts.",
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
@click.option("--seed", default=0, show_default=True, help="Seed of the traffic mix and faults.")
@click.option(
    "--faults", is_flag=True,
    help="Inject the faults of a real upgrade at seeded times: a blocker transaction before each"
    " migrate, SIGKILL of an app server and of the worker, a PostgreSQL restart during a"
    " backfill, Redis stopped for 10 s.",
)  # fmt: skip
@click.option(
    "--keep-services/--stop-services", default=False,
    help="Leave the embedded PostgreSQL and Redis running if this command started them.",
)  # fmt: skip
@target_options
@friendly
def rehearse(
    rows: int,
    rate: float,
    phase_seconds: float,
    path: str | None,
    allow_skip: bool,
    report_dir: Path,
    seed: int,
    faults: bool,
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
    """
    with sigterm_as_interrupt(), services_for_command(keep=keep_services):
        urls = require_services()
        setup_django()
        from rich.console import Console

        from zerodowntime import conf
        from zerodowntime.rehearsal.cluster import ClusterError
        from zerodowntime.rehearsal.orchestrator import RehearsalConfig, RehearsalError
        from zerodowntime.rehearsal.orchestrator import rehearse as run_rehearsal
        from zerodowntime.rehearsal.report import error_groups, verdict_of, write_report
        from zerodowntime.rehearsal.scenario import ScenarioError
        from zerodowntime.rehearsal.summary import LiveProgress, phase_stats, summary_table

        manifest = conf.release_manifest()
        versions = tuple(v.strip() for v in path.split(",") if v.strip()) if path else None
        workdir = report_dir / f"rehearsal-{datetime.now():%Y%m%d-%H%M%S}"
        config = RehearsalConfig(
            path=versions or tuple(manifest.versions),
            server_url=urls.database_url,
            redis_url=_redis_database(urls.redis_url, REHEARSAL_REDIS_DB),
            workdir=workdir,
            rows=rows,
            rate=rate,
            phase_seconds=phase_seconds,
            seed=seed,
            allow_skip=allow_skip,
            faults=faults,
        )
        console = Console()
        if not console.is_terminal:
            console = Console(width=130)
        console.print(
            f"Rehearsing {' -> '.join(config.path)} with {rows:,} rows at {rate:g} requests/s"
            f" (logs in {workdir}/logs)"
        )
        try:
            result = run_rehearsal(config, LiveProgress(console))
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
            console.print("errors in the app servers' logs (behind \"Internal error.\"):")
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
