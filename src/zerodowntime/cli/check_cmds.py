"""``zdt check``: unsafe migrations, release incompatibilities and breaking GraphQL changes."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from zerodowntime.cli.errors import friendly


@contextmanager
def _database_available() -> Iterator[None]:
    """Use the configured servers or the running embedded ones, else, for a project that wants
    the embedded servers, throw-away ones stopped afterwards (CI): the project's own embedded
    servers, stopped, are not started and left running. Otherwise the project's settings name
    the database.
    """
    from zerodowntime import services
    from zerodowntime.project import wants_embedded

    urls = services.resolve_urls()
    in_use = urls is not None and (not urls.embedded or services.embedded_running())
    if in_use or not wants_embedded():
        yield
        return
    directory = Path(tempfile.mkdtemp(prefix="zdt-check-"))
    try:
        urls = services.up(directory, durable=False)
        os.environ.update(DATABASE_URL=urls.database_url, REDIS_URL=urls.redis_url)
        yield
    finally:
        services.down(directory)
        shutil.rmtree(directory, ignore_errors=True)


@click.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the findings.",
)
@click.option(
    "--update-snapshots",
    is_flag=True,
    help="Rewrite each release's committed GraphQL SDL snapshot before checking.",
)
@click.option(
    "--since",
    metavar="REF",
    default=None,
    help="Lint only the migrations added since this git ref; older ones are a baseline,"
    " reported as information (default: the release the database is at, else the newest"
    " release of ZDT_RELEASES_FROM_GIT; without git releases, every migration). With releases"
    " from git, the ref's own code is also compared with the new schema and run on it.",
)
@click.option("--all", "everything", is_flag=True, help="Lint every migration, with no baseline.")
@click.option(
    "--database-url",
    metavar="URL",
    default=None,
    help="A database to look at, read-only (production or a copy of it): each finding says how"
    " many rows its table has there and what its lock or scan would cost, and a data loop over a"
    " big table is an error (default: ZDT_CHECK_DATABASE_URL).",
)
@friendly
def check(
    output_format: str,
    update_snapshots: bool,
    since: str | None,
    everything: bool,
    database_url: str | None,
) -> None:
    """Check migrations, release compatibility and the GraphQL API; exit 1 on an error.

    Every migration is applied to a scratch database (dropped afterwards) so the SQL checked is
    the SQL the project's schema editor really runs. Silence a finding in a migration with
    `zdt_silence = {"ZDT101": "why this is safe"}` on its Migration class.
    """
    from zerodowntime.checks.report import format_json, format_text
    from zerodowntime.checks.runner import CheckError, configured_snapshot_dir, run_checks
    from zerodowntime.project import setup_django

    with _database_available():
        setup_django()
        try:
            report = run_checks(
                snapshot_dir=configured_snapshot_dir(),
                update_snapshots=update_snapshots,
                since=since,
                everything=everything,
                database_url=database_url,
            )
        except CheckError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(format_json(report) if output_format == "json" else format_text(report))
    if report.failed:
        raise SystemExit(1)


COMMANDS: list[click.Command] = [check]
