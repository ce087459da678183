"""One runner per backfill: a PostgreSQL session-level advisory lock keyed on its name."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

from zerodowntime.background.exceptions import BackfillBusy
from zerodowntime.waiting import WaitTimeout, wait_until

# First key of the two-key advisory lock: the ASCII of "ZD"; the second is hashtext(name).
LOCK_CLASS = 0x5A44
POLL_SECONDS = 0.2


def try_lock(connection: BaseDatabaseWrapper, name: str) -> bool:
    """Take the advisory lock of ``name`` for this session if it is free; return success."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [LOCK_CLASS, name])
        return bool(cursor.fetchone()[0])


def unlock(connection: BaseDatabaseWrapper, name: str) -> None:
    """Release the advisory lock of ``name`` held by this session."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [LOCK_CLASS, name])


def lock_holders(connection: BaseDatabaseWrapper, names: list[str]) -> dict[str, int]:
    """Return the backend pid of the session running each of ``names`` (absent: none)."""
    if not names:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.name, l.pid FROM unnest(%s::text[]) AS n(name)"
            " JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted"
            " AND l.classid = %s::oid AND l.objsubid = 2"
            " AND l.objid = (hashtext(n.name)::bigint & 4294967295)::oid"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [names, LOCK_CLASS],
        )
        return {name: pid for name, pid in cursor.fetchall()}


@contextmanager
def backfill_lock(
    connection: BaseDatabaseWrapper, name: str, *, wait: float = 0.0
) -> Iterator[None]:
    """Hold the lock of ``name`` for the block; raise BackfillBusy if it stays taken ``wait`` s."""
    try:
        wait_until(
            lambda: try_lock(connection, name),
            timeout=wait,
            interval=POLL_SECONDS,
            what=f"the lock of {name!r} was not free",
        )
    except WaitTimeout:
        pid = lock_holders(connection, [name]).get(name)
        holder = f" (PostgreSQL backend pid {pid})" if pid else ""
        raise BackfillBusy(
            f"background migration {name!r} is being run by another process{holder};"
            " wait for it or stop that worker"
        ) from None
    try:
        yield
    finally:
        unlock(connection, name)
