"""Create and query the durable records of the background migrations."""

from __future__ import annotations

from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connections

from zerodowntime.background.models import BackgroundMigration

Status = BackgroundMigration.Status


def records_table_exists(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Return True when the records table has been created (zdt_background migrated)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        return BackgroundMigration._meta.db_table in connection.introspection.table_names(cursor)


def ensure_record(name: str, *, using: str = DEFAULT_DB_ALIAS) -> BackgroundMigration:
    """Return the record of ``name``, creating a pending one if there is none (idempotent)."""
    record, _ = BackgroundMigration.objects.using(using).get_or_create(name=name)
    return record


def unfinished_records(*, using: str = DEFAULT_DB_ALIAS) -> list[BackgroundMigration]:
    """Return every record that is not done, oldest first."""
    return list(BackgroundMigration.objects.using(using).exclude(status=Status.DONE))


def needs_enqueue(
    record: BackgroundMigration,
    *,
    now: datetime,
    running_elsewhere: bool,
    stale_seconds: float,
    retry_delay_seconds: float,
) -> bool:
    """Return True when nobody seems to be working on ``record`` and it should be queued again.

    A record whose lock a session holds is being run; one that changed within
    ``stale_seconds`` probably has a task queued; a failed one waits ``retry_delay_seconds``.
    """
    if record.is_done or running_elsewhere:
        return False
    quiet_for = (now - record.updated_at).total_seconds()
    if record.status == Status.FAILED:
        return quiet_for >= retry_delay_seconds
    return quiet_for >= stale_seconds
