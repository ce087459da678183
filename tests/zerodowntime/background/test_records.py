"""Which unfinished records are queued again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from zerodowntime.background.models import BackgroundMigration
from zerodowntime.background.records import needs_enqueue

NOW = datetime(2026, 1, 1, tzinfo=UTC)
Status = BackgroundMigration.Status


def record(status: str, quiet_seconds: float) -> BackgroundMigration:
    return BackgroundMigration(
        name="x", status=status, updated_at=NOW - timedelta(seconds=quiet_seconds)
    )


@pytest.mark.parametrize(
    ("status", "quiet", "running_elsewhere", "expected"),
    [
        (Status.PENDING, 31, False, True),
        (Status.PENDING, 5, False, False),  # just registered: its task is probably queued
        (Status.RUNNING, 31, False, True),  # a worker died or its task was lost
        (Status.RUNNING, 5, False, False),
        (Status.RUNNING, 300, True, False),  # some session is running it right now
        (Status.FAILED, 31, False, False),
        (Status.FAILED, 61, False, True),
        (Status.DONE, 9999, False, False),
    ],
)
def test_needs_enqueue(status: str, quiet: float, running_elsewhere: bool, expected: bool) -> None:
    assert (
        needs_enqueue(
            record(status, quiet),
            now=NOW,
            running_elsewhere=running_elsewhere,
            stale_seconds=30,
            retry_delay_seconds=60,
        )
        is expected
    )
