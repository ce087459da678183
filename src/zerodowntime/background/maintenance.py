"""Look after a backfilled table: statistics for the runner's own queries, VACUUM at the end.

Both wait for SHARE UPDATE EXCLUSIVE, which a concurrent index build or VACUUM holds for long,
so both run under a short lock timeout and are skipped (with a warning) when it expires:
maintenance is worth a short wait, never a stuck worker.
"""

from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager
from typing import Any

from django.db import OperationalError

from zerodowntime import conf
from zerodowntime.background.base import quote_name
from zerodowntime.ddl import is_lock_timeout, session_lock_timeout, session_setting

logger = logging.getLogger(__name__)

# A run that changed at least this share of the table analyzes it before sweeping for late
# rows, and a backfill that did vacuums it when it is done: autovacuum's default scale factors
# (0.1 to analyze, 0.2 to vacuum) would do the same, but at a time of its choosing.
CHANGED_SHARE = 0.1


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
    if not mostly_changed(connection, table, changed):
        return False
    logger.info("%s: analyzing %s (this run changed %d rows)", name, table, changed)
    return analyze(connection, table, name, lock_timeout=lock_timeout)


def vacuum_if_mostly_changed(
    connection: Any, table: str, name: str, changed: int, *, lock_timeout: str | None = None
) -> bool:
    """VACUUM ``table`` when a backfill changed a tenth of it or more; True when it did.

    A backfill leaves a dead version of every row it changed. Left to autovacuum, that VACUUM
    starts whenever autovacuum next looks, for instance while the next release migrates: a
    DDL statement that needs ACCESS EXCLUSIVE then waits until autovacuum gives way (after
    ``deadlock_timeout``, 1 s by default), and the application's queries queue behind it.
    It is throttled as autovacuum is (:func:`throttled`).
    """
    if not mostly_changed(connection, table, changed):
        return False
    cost_delay = conf.get().background_vacuum_cost_delay
    logger.info(
        "%s: vacuuming %s (the backfill changed %d rows; cost delay %s)",
        name,
        table,
        changed,
        cost_delay,
    )
    started = time.monotonic()
    with throttled(connection):
        if not run_unless_locked(connection, "VACUUM", table, name, lock_timeout=lock_timeout):
            return False
    logger.info("%s: vacuumed %s in %.2f s", name, table, time.monotonic() - started)
    return True


def mostly_changed(connection: Any, table: str, changed: int) -> bool:
    """Return True when ``changed`` rows are at least ``CHANGED_SHARE`` of ``table``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return row is not None and changed >= CHANGED_SHARE * max(float(row[0]), 0.0)


def analyze(connection: Any, table: str, name: str, *, lock_timeout: str | None = None) -> bool:
    """Analyze ``table`` under ``lock_timeout``, throttled; False when its lock was not free.

    Right after a backfill most of the table's pages are new to this reader, which dirties
    them (hint bits) and, with data checksums, logs them: unthrottled, that burst of writes
    stalled the application's commits on a 1,000,000-row table (docs/BENCHMARKS.md).
    """
    with throttled(connection):
        return run_unless_locked(connection, "ANALYZE", table, name, lock_timeout=lock_timeout)


def throttled(connection: Any) -> AbstractContextManager[None]:
    """Return a context in which VACUUM and ANALYZE pause as autovacuum does.

    A manual VACUUM or ANALYZE is not throttled by default (``vacuum_cost_delay`` 0); these
    run with ``ZDT_BACKGROUND_VACUUM_COST_DELAY``.
    """
    return session_setting(connection, "vacuum_cost_delay", conf.get().background_vacuum_cost_delay)


def run_unless_locked(
    connection: Any, command: str, table: str, name: str, *, lock_timeout: str | None = None
) -> bool:
    """Run ``COMMAND table`` under ``lock_timeout``; False (and a warning) when it expired.

    Without ``lock_timeout`` the background migrations' setting applies. The command runs on
    its own, outside any transaction, as VACUUM must.
    """
    timeout = lock_timeout or conf.get().background_lock_timeout
    try:
        with session_lock_timeout(connection, timeout), connection.cursor() as cursor:
            cursor.execute(f"{command} {quote_name(cursor, table)}")
    except OperationalError as exc:
        if not is_lock_timeout(exc):
            raise
        logger.warning("%s: %s is locked, going on without %s", name, table, command)
        return False
    return True
