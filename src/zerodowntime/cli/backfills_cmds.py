"""``zdt backfills`` and ``zdt backfills run NAME``: watch and drive background migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from zerodowntime.cli.errors import friendly
from zerodowntime.project import setup_django

if TYPE_CHECKING:
    from zerodowntime.background.models import BackgroundMigration


def record_row(record: BackgroundMigration, *, active: bool) -> list[str]:
    """Return the table cells that describe one record."""
    total = "?" if record.rows_total is None else f"{record.rows_total:,}"
    percent = record.percent
    rate = record.rate
    status = f"{record.status} (active)" if active else record.status
    return [
        record.name,
        status,
        f"{record.rows_done:,} / {total}",
        "-" if percent is None else f"{percent:.1f}%",
        f"{record.batch_size:,}",
        "-" if rate is None else f"{rate:,.0f}/s",
        (record.last_error.splitlines() or [""])[0][:60],
    ]


@click.group(invoke_without_command=True)
@click.pass_context
@friendly
def backfills(context: click.Context) -> None:
    """Show the background migrations and their progress (`run NAME` runs one here)."""
    if context.invoked_subcommand is not None:
        return
    setup_django()
    from django.db import connection
    from rich.console import Console
    from rich.table import Table

    from zerodowntime.background.locks import lock_holders
    from zerodowntime.background.models import BackgroundMigration
    from zerodowntime.background.records import records_table_exists

    if not records_table_exists():
        raise click.ClickException("no background migrations table yet: run `zdt migrate` first")
    records = list(BackgroundMigration.objects.all())
    if not records:
        click.echo("No background migrations are recorded.")
        return
    active = lock_holders(connection, [record.name for record in records])
    table = Table()
    table.add_column("name", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for header in ("rows done / total", "%", "batch", "rate"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("last error")
    for record in records:
        table.add_row(*record_row(record, active=record.name in active))
    Console().print(table)


@backfills.command(name="run")
@click.argument("name")
@click.option("--time-budget", type=float, default=None, metavar="S", help="Stop after S seconds.")
@friendly
def run_command(name: str, time_budget: float | None) -> None:
    """Run the background migration NAME here, from its cursor, with a progress bar."""
    setup_django()
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from zerodowntime.background.exceptions import BackfillError, BackfillNotFound
    from zerodowntime.background.registry import get_backfill
    from zerodowntime.background.runner import run_backfill

    try:
        get_backfill(name)
    except BackfillNotFound as exc:
        raise click.ClickException(str(exc)) from exc

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task(name, total=None, rate="")

        def show(record: BackgroundMigration) -> None:
            rate = f"{record.rate:,.0f} rows/s" if record.rate else ""
            bar.update(task, completed=record.rows_done, total=record.rows_total, rate=rate)

        try:
            record = run_backfill(name, time_budget=time_budget, progress=show)
        except (BackfillError, BackfillNotFound) as exc:
            raise click.ClickException(str(exc)) from exc
    if record.is_done:
        click.echo(f"{name}: done, {record.rows_done:,} rows.")
    else:
        click.echo(
            f"{name}: stopped after the time budget at {record.rows_done:,} rows;"
            f" run `zdt backfills run {name}` again to continue."
        )


COMMANDS: list[click.Command] = [backfills]
