"""Compress the WAL of the upgrade's own bulk work: index builds and backfill batches.

An index build writes every page of the new index to the WAL whole, tens of megabytes in a
fraction of a second once its rows are sorted, and each commit of the application flushes the
WAL written before it: the commits in that stretch wait for the disk. A backfill's batches
write whole pages too, the first change of each page after a checkpoint. With
``wal_compression`` set in the session doing that work, those pages are compressed as they are
written: less WAL, written more slowly (docs/BENCHMARKS.md, "Eighth pass"). Only the
upgrade's sessions pay the compression's CPU; the application's are untouched.

``wal_compression`` may be set in a session by a superuser, or by a role granted
``SET ON PARAMETER wal_compression`` (PostgreSQL 15 on). Without that right the server's own
setting stays and one INFO line says so: the work runs as before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

from zerodowntime import conf
from zerodowntime.ddl import session_setting

logger = logging.getLogger("zerodowntime.ddl")

SETTING = "wal_compression"
# has_parameter_privilege() came with GRANT SET ON PARAMETER, in PostgreSQL 15.
PARAMETER_PRIVILEGES = 150000


def may_set(connection: BaseDatabaseWrapper, name: str) -> bool:
    """Return True when the session's role may set superuser-only parameter ``name``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        if cursor.fetchone()[0]:
            return True
        if connection.pg_version < PARAMETER_PRIVILEGES:  # type: ignore[attr-defined]
            return False
        cursor.execute("SELECT has_parameter_privilege(%s, 'SET')", [name])
        return bool(cursor.fetchone()[0])


@contextmanager
def compressed_wal(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Set ``wal_compression`` to ``ZDT_WAL_COMPRESSION`` for the block, if the role may.

    ``off`` (the setting, not the method) leaves the session as it is. The previous value is
    put back afterwards.
    """
    method = conf.get().wal_compression
    if method == "off":
        yield
        return
    if not may_set(connection, SETTING):
        logger.info(
            "wal_compression stays the server's: this role may not set it (superuser, or"
            " GRANT SET ON PARAMETER wal_compression from PostgreSQL 15 on)"
        )
        yield
        return
    with session_setting(connection, SETTING, method):
        yield
