"""Name the sessions that block a backend's lock request, and end the ones a policy allows.

PostgreSQL's ``pg_blocking_pids(pid)`` lists the backends that hold (or wait ahead for) a lock
the backend ``pid`` waits for; ``pg_stat_activity`` says who they are. :func:`find_blockers`
joins the two; :func:`end_blockers` ends, with ``pg_terminate_backend``, the blockers an
:class:`EndPolicy` allows (as pg-osc's ``--kill-backends`` does): by default none; opted in,
those idle in transaction for longer than an age; active queries only when asked as well.
:class:`BlockerWatch` samples the blockers of a backend from another connection while it waits.

Autovacuum is the exception to "never end a blocker unasked": PostgreSQL cancels an autovacuum
worker (unless it prevents wraparound) whose lock a request waits for, after that request has
waited ``deadlock_timeout`` (1 s by default). A DDL statement's lock timeout is shorter, so it
would time out behind autovacuum, again and again, for as long as the vacuum runs, each attempt
queuing the application's queries. :func:`autovacuum_on` finds such workers on the tables a
statement will lock, and :meth:`BlockerWatch.cancel_autovacuum` cancels them first
(``ZDT_DDL_CANCEL_AUTOVACUUM``; autovacuum comes back to the table later).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Protocol

logger = logging.getLogger("zerodowntime.ddl")

IDLE_IN_TRANSACTION = ("idle in transaction", "idle in transaction (aborted)")
BLOCKERS_SQL = """
SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''),
       extract(epoch FROM now() - a.xact_start)::float8,
       extract(epoch FROM now() - a.state_change)::float8,
       coalesce(a.query, ''), coalesce(a.backend_type, '')
FROM unnest(pg_blocking_pids(%s)) AS b(pid)
JOIN pg_stat_activity a ON a.pid = b.pid
ORDER BY a.xact_start NULLS LAST, a.pid
"""
AUTOVACUUM_WORKER = "autovacuum worker"
# An autovacuum's query says "(to prevent wraparound)" when PostgreSQL would not cancel it either.
WRAPAROUND = "(to prevent wraparound)"
AUTOVACUUM_SQL = """
SELECT DISTINCT a.pid, coalesce(a.query, '')
FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE a.backend_type = 'autovacuum worker'
  AND l.locktype = 'relation'
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.relation IN (SELECT to_regclass(name) FROM unnest(%s::text[]) AS t(name))
  AND position(%s IN coalesce(a.query, '')) = 0
ORDER BY a.pid
"""


class Cursor(Protocol):
    """The part of a DB-API cursor this module uses."""

    def execute(self, query: Any, params: Any = ...) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """The part of a DB-API connection this module uses (in autocommit)."""

    def cursor(self) -> Any: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Blocker:
    """A backend that blocks a lock request: who it is and what it does."""

    pid: int
    application_name: str
    state: str
    transaction_seconds: float | None
    state_seconds: float | None
    query: str
    backend_type: str = "client backend"

    @property
    def cancellable_autovacuum(self) -> bool:
        """Return True for an autovacuum worker PostgreSQL itself would cancel (no wraparound)."""
        return self.backend_type == AUTOVACUUM_WORKER and WRAPAROUND not in self.query

    @property
    def idle_in_transaction(self) -> bool:
        """Return True when the backend sits in an open transaction without running a query."""
        return self.state in IDLE_IN_TRANSACTION

    def describe(self) -> str:
        """Return one line: pid, application, state, transaction age and query."""
        age = (
            f"transaction open {self.transaction_seconds:.1f} s"
            if self.transaction_seconds is not None
            else "no transaction"
        )
        name = self.application_name or "no application_name"
        state = self.state or "unknown state"
        return f"pid {self.pid} ({name}, {state}, {age}): {one_line(self.query)}"

    def as_dict(self) -> dict[str, Any]:
        """Return the blocker as JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class EndPolicy:
    """Which blockers may be ended: none unless ``idle_after`` (seconds) is set.

    With ``idle_after``, a blocker idle in transaction whose state is older than that is
    ended; with ``active`` as well, so is a blocker whose transaction is older than that while
    it runs a query.
    """

    idle_after: float | None = None
    active: bool = False

    def allows(self, blocker: Blocker) -> bool:
        """Return True when ``blocker`` may be ended under this policy."""
        if self.idle_after is None:
            return False
        if blocker.idle_in_transaction:
            return (blocker.state_seconds or 0.0) >= self.idle_after
        return self.active and (blocker.transaction_seconds or 0.0) >= self.idle_after


@dataclass(frozen=True)
class AutovacuumRun:
    """An autovacuum worker holding a lock on a table a statement is about to lock."""

    pid: int
    query: str

    def describe(self) -> str:
        """Return one line: pid and what it vacuums."""
        return f"pid {self.pid} ({one_line(self.query)})"

    def as_dict(self) -> dict[str, Any]:
        """Return the run as JSON-ready data."""
        return asdict(self)


def find_blockers(cursor: Cursor, pid: int) -> list[Blocker]:
    """Return the backends that block the lock request of backend ``pid``, oldest first."""
    cursor.execute(BLOCKERS_SQL, [pid])
    return [
        Blocker(int(p), str(app), str(state), xact, since, str(query), str(kind))
        for p, app, state, xact, since, query, kind in cursor.fetchall()
    ]


def autovacuum_on(cursor: Cursor, relations: Sequence[str]) -> list[AutovacuumRun]:
    """Return the autovacuum workers (none preventing wraparound) that lock one of ``relations``.

    ``relations`` are names as SQL writes them (``"public"."shop_order"``); one that does not
    exist (a table the statement creates) matches nothing.
    """
    if not relations:
        return []
    cursor.execute(AUTOVACUUM_SQL, [list(relations), WRAPAROUND])
    return [AutovacuumRun(int(pid), str(query)) for pid, query in cursor.fetchall()]


def end_blockers(cursor: Cursor, blockers: list[Blocker], policy: EndPolicy) -> list[Blocker]:
    """End (``pg_terminate_backend``) the blockers ``policy`` allows; return those ended."""
    ended = []
    for blocker in blockers:
        if not policy.allows(blocker):
            continue
        cursor.execute("SELECT pg_terminate_backend(%s)", [blocker.pid])
        if cursor.fetchall()[0][0]:
            logger.warning("ended blocking backend %s", blocker.describe())
            ended.append(blocker)
    return ended


def describe_all(blockers: list[Blocker]) -> str:
    """Return the blockers as one line each (or a sentence when there are none)."""
    if not blockers:
        return "no blocking backend seen"
    return "; ".join(blocker.describe() for blocker in blockers)


class BlockerWatch:
    """Sample the blockers of backend ``pid`` from another connection while it waits for a lock.

    ``connect()`` opens an autocommit connection (lazily, once, on the first sample). Inside
    :meth:`attempt`, a timer takes one sample after ``after`` seconds, ending the blockers
    ``policy`` allows; ``blockers`` keeps the last non-empty sample, ``ended`` every backend
    ended. Call :meth:`close` when done.
    """

    def __init__(
        self,
        connect: Callable[[], Connection],
        pid: int,
        policy: EndPolicy | None = None,
        *,
        cancel_autovacuum: bool = False,
    ) -> None:
        self.connect = connect
        self.pid = pid
        self.policy = policy or EndPolicy()
        self.may_cancel_autovacuum = cancel_autovacuum
        self.blockers: list[Blocker] = []
        self.ended: list[Blocker] = []
        self.cancelled: list[AutovacuumRun] = []
        self._connection: Connection | None = None
        self._lock = threading.Lock()

    @contextmanager
    def attempt(self, after: float) -> Iterator[None]:
        """Sample the blockers once ``after`` seconds into the block, if it still runs."""
        timer = threading.Timer(after, self.sample)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            with self._lock:  # a sample in progress finishes before the next attempt
                pass

    def sample(self) -> list[Blocker]:
        """Look up the blockers now (and end those the policy allows); return them."""
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = self.connect()
                with contextlib.closing(self._connection.cursor()) as cursor:
                    found = find_blockers(cursor, self.pid)
                    if found:
                        self.blockers = found
                        self.ended += end_blockers(cursor, found, self.policy)
                        autovacuum = [b for b in found if b.cancellable_autovacuum]
                        self._cancel(cursor, [AutovacuumRun(b.pid, b.query) for b in autovacuum])
                return found
            except Exception as exc:  # a failed look-up must not fail the DDL it watches
                logger.debug("could not look up the blockers of pid %s: %s", self.pid, exc)
                self.close_connection()
                return []

    def cancel_autovacuum(self, runs: list[AutovacuumRun]) -> list[AutovacuumRun]:
        """Cancel ``runs`` (``pg_cancel_backend``) if this watch may; return those cancelled.

        Without the right to (superuser, or ``pg_signal_autovacuum_worker`` from PostgreSQL 18
        on) the refusal is logged once and the statement waits for them as for any blocker.
        """
        if not runs or not self.may_cancel_autovacuum:
            return []
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = self.connect()
                with contextlib.closing(self._connection.cursor()) as cursor:
                    return self._cancel(cursor, runs)
            except Exception as exc:  # the statement then waits, as it would have anyway
                logger.debug("could not reach the database to cancel autovacuum: %s", exc)
                self.close_connection()
                return []

    def _cancel(self, cursor: Cursor, runs: list[AutovacuumRun]) -> list[AutovacuumRun]:
        """Cancel ``runs`` on ``cursor`` (autocommit) if this watch may; return those cancelled."""
        cancelled = []
        for run in runs if self.may_cancel_autovacuum else []:
            try:
                cursor.execute("SELECT pg_cancel_backend(%s)", [run.pid])
            except Exception as exc:  # no right to: wait for it, as for any other blocker
                logger.info("could not cancel autovacuum %s: %s", run.describe(), exc)
                self.may_cancel_autovacuum = False
                break
            if cursor.fetchall()[0][0]:
                logger.info(
                    "cancelled autovacuum %s, whose lock the statement needs (PostgreSQL"
                    " cancels it after deadlock_timeout; it comes back to the table later)",
                    run.describe(),
                )
                cancelled.append(run)
        self.cancelled += cancelled
        return cancelled

    def close_connection(self) -> None:
        """Close the watch's connection if it is open."""
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None

    def close(self) -> None:
        """Close the watch's connection (waiting for a sample in progress)."""
        with self._lock:
            self.close_connection()


def one_line(sql: str, limit: int = 200) -> str:
    """Return ``sql`` on one line, cut to ``limit`` characters."""
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
