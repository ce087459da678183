"""Keep the planner's statistics of a backfilled table fit for the runner's own queries."""

from __future__ import annotations

import logging
from typing import Any

from django.db import OperationalError, transaction

from zerodowntime.background.base import quote_name
from zerodowntime.background.conf import background_settings
from zerodowntime.background.constants import LOCK_NOT_AVAILABLE

logger = logging.getLogger(__name__)

# A run that changed at least this share of the table analyzes it before sweeping for late
# rows: autovacuum's default ``analyze_scale_factor`` would do the same, but only later.
CHANGED_SHARE_TO_ANALYZE = 0.1


def analyze_if_never_analyzed(
    connection: Any, table: str, name: str, *, lock_timeout: str | None = None
) -> bool:
    """Analyze ``table`` when it has no statistics yet; return True when it did.

    Without them PostgreSQL may plan a batch's join as a scan of the whole table, which makes
    every batch cost as much as the table is big.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_analyze IS NULL AND last_autoanalyze IS NULL"
            " FROM pg_stat_user_tables WHERE relid = to_regclass(%s)",
            [table],
        )
        row = cursor.fetchone()
        if not (row and row[0]):
            return False
    logger.info("%s: analyzing %s first (it has no statistics)", name, table)
    return analyze(connection, table, name, lock_timeout=lock_timeout)


def analyze_if_mostly_changed(
    connection: Any, table: str, name: str, changed: int, *, lock_timeout: str | None = None
) -> bool:
    """Analyze ``table`` when ``changed`` rows are a tenth of it or more; True when it did.

    Statistics taken before the run say that most rows are still pending, so the query that
    looks for a pending row left behind would walk the primary key over the whole table
    instead of using an index on the pending column.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
            [table],
        )
        row = cursor.fetchone()
        if row is None or changed < CHANGED_SHARE_TO_ANALYZE * max(float(row[0]), 0.0):
            return False
    logger.info("%s: analyzing %s (this run changed %d rows)", name, table, changed)
    return analyze(connection, table, name, lock_timeout=lock_timeout)


def analyze(connection: Any, table: str, name: str, *, lock_timeout: str | None = None) -> bool:
    """Analyze ``table`` under ``lock_timeout``; False when its lock was not free.

    Without ``lock_timeout`` the background migrations' setting applies.

    ANALYZE waits for SHARE UPDATE EXCLUSIVE, which a concurrent index build or VACUUM holds
    for long: statistics are worth a short wait, never a stuck worker.
    """
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true)",
                [lock_timeout or background_settings().lock_timeout],
            )
            cursor.execute(f"ANALYZE {quote_name(cursor, table)}")
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        logger.warning("%s: %s is locked, going on without analyzing it", name, table)
        return False
    return True
