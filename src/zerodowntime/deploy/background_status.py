"""Read the progress of background migrations, when the project has the background app.

Only the records' table is read (``name``, ``status``, ``rows_done``, ``rows_total``), so the
deploy guard works with or without the ``zdt_background`` app and before its table exists.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps

from zerodowntime.waiting import WaitTimeout, wait_until

BACKGROUND_APP = "zdt_background"
RECORD_MODEL = "BackgroundMigration"
DONE = "done"


@dataclass(frozen=True)
class BackgroundProgress:
    """One background migration and how far it got."""

    name: str
    status: str
    rows_done: int
    rows_total: int | None

    @property
    def percent(self) -> float | None:
        """Return the share done in percent, when the total is known."""
        if not self.rows_total:
            return None
        return min(100.0, 100.0 * self.rows_done / self.rows_total)


def records_table() -> str | None:
    """Return the table of the background migration records (None: no such app or model)."""
    if not apps.is_installed("zerodowntime.background"):
        return None
    try:
        model = apps.get_model(BACKGROUND_APP, RECORD_MODEL)
    except LookupError:
        return None
    return str(model._meta.db_table)


def read_progress(cursor: Any, table: str | None = None) -> list[BackgroundProgress] | None:
    """Return every record through a DB-API ``cursor`` (None when the table does not exist)."""
    table = table or records_table()
    if table is None:
        return None
    cursor.execute("SELECT to_regclass(%s)", [table])
    if cursor.fetchone()[0] is None:
        return None
    cursor.execute(f'SELECT name, status, rows_done, rows_total FROM "{table}" ORDER BY name')
    return [BackgroundProgress(*row) for row in cursor.fetchall()]


def unfinished(progress: list[BackgroundProgress] | None) -> list[BackgroundProgress]:
    """Return the records that are not done yet."""
    return [p for p in progress or [] if p.status != DONE]


def wait_finished(
    read: Callable[[], list[BackgroundProgress] | None],
    *,
    timeout: float,
    interval: float = 0.5,
    report: Callable[[list[BackgroundProgress]], None] | None = None,
    report_every: float = 10.0,
) -> None:
    """Poll ``read`` until no background migration is unfinished.

    ``report`` gets the unfinished ones at the first poll and then every ``report_every``
    seconds. Raise :class:`~zerodowntime.waiting.WaitTimeout` naming them when ``timeout``
    seconds pass first.
    """
    reported = -float("inf")
    pending: list[BackgroundProgress] = []

    def finished() -> bool:
        nonlocal pending, reported
        pending = unfinished(read())
        now = time.monotonic()
        if pending and report is not None and now - reported >= report_every:
            report(pending)
            reported = now
        return not pending

    try:
        wait_until(finished, timeout=timeout, interval=interval, what="background migrations")
    except WaitTimeout:
        names = ", ".join(p.name for p in pending)
        raise WaitTimeout(f"background migrations {names} not done after {timeout:.0f} s") from None


def describe(progress: BackgroundProgress) -> str:
    """Return one line: the migration's name, status and how far it got."""
    if progress.percent is None:
        return f"{progress.name}: {progress.status}, {progress.rows_done} rows done"
    return (
        f"{progress.name}: {progress.status}, {progress.percent:.1f}%"
        f" ({progress.rows_done}/{progress.rows_total} rows)"
    )
