"""Run DDL statements within a stall budget: a short lock timeout, retries, a total time budget.

A DDL statement that waits for a lock on a busy table queues every later query on that table
behind it. Each statement therefore runs with ``SET lock_timeout`` (200 ms by default,
``ZDT_LOCK_TIMEOUT``: the longest the application's queries can queue behind one attempt; see
docs/safe-operations.md for the measurement behind it). When it times out (SQLSTATE 55P03) it is
retried after an exponential back-off with jitter, capped, so the application's queries run
between the attempts, for as long as the time budget allows (``ZDT_DDL_TIME_BUDGET``, 5
minutes). Inside a transaction each attempt runs in a savepoint, so a timed-out attempt is
rolled back alone and the retry is possible.

While a statement waits, another connection looks up who blocks it (``pg_blocking_pids``): pid,
application, state, transaction age and query of each blocker go into every retry's log line and
into the error raised when the budget runs out. With ``ZDT_DDL_END_IDLE_BLOCKERS_AFTER`` the
blockers idle in transaction for longer than that are ended (and, with
``ZDT_DDL_END_ACTIVE_BLOCKERS``, those running a query too); see :mod:`zerodowntime.blockers`.
Before each attempt, an autovacuum holding a lock on a table the statement locks is cancelled
(``ZDT_DDL_CANCEL_AUTOVACUUM``), as PostgreSQL would after ``deadlock_timeout``: the statement
does not queue the application's queries behind it.

Every run leaves a :class:`StatementRecord` (attempts, time lost to attempts that timed out,
time slept, duration of the successful attempt, which includes any wait for its own lock, the
blockers seen and ended). Records go to the logger ``zerodowntime.ddl``, to every active
:func:`recording` block, and, when the ``ZDT_DDL_RECORD_FILE`` setting or environment variable
names a file, to that file as JSON lines.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import OperationalError

from zerodowntime import conf
from zerodowntime.blockers import (
    AUTOVACUUM_WORKER,
    BlockerWatch,
    Connection,
    EndPolicy,
    autovacuum_on,
    describe_all,
    one_line,
)
from zerodowntime.retrying import backoff
from zerodowntime.sql import Statement, parse

logger = logging.getLogger("zerodowntime.ddl")

LOCK_NOT_AVAILABLE = "55P03"
DEFAULT_JITTER = 0.5
# How far into an attempt the blockers are looked up (a share of the lock timeout).
WATCH_AT = 0.5
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$")


class LockRetriesExhausted(TimeoutError):
    """A DDL statement's lock waits used up its time budget; the message names the blockers."""

    def __init__(
        self,
        record: StatementRecord,
        blockers: str = "no blocking backend seen",
        *,
        autovacuum: bool = False,
    ) -> None:
        self.record = record
        vacuum = (
            " An autovacuum was among the blockers: ZDT_DDL_CANCEL_AUTOVACUUM (on by default)"
            " cancels one unless it prevents wraparound (then wait for it) or the role may not"
            " (it takes superuser or, from PostgreSQL 18 on, pg_signal_autovacuum_worker)."
            if autovacuum
            else ""
        )
        super().__init__(
            f"Gave up on `{one_line(record.sql)}` after {record.elapsed_seconds:.1f} s"
            f" ({record.attempts} attempts, each waiting at most {record.lock_timeout} for its"
            f" lock; the statement was not applied). Blocked by: {blockers}. Options: end the"
            " blocking transactions (SELECT pg_terminate_backend(pid)) or wait until they are"
            " over, then run the migration again; give it more time with ZDT_DDL_TIME_BUDGET"
            f" (now {record.budget_seconds:g} s); or let it end transactions idle for longer than"
            f" N seconds with ZDT_DDL_END_IDLE_BLOCKERS_AFTER=N.{vacuum}"
        )


def seconds_of(duration: str) -> float:
    """Return a PostgreSQL duration (``'200ms'``, ``'1s'``, ``'500'`` = ms) in seconds."""
    match = _DURATION.match(str(duration))
    if match is None:
        raise ValueError(f"{duration!r} is not a PostgreSQL duration such as '200ms' or '1s'")
    return float(match[1]) * _UNITS[match[2] or "ms"]


@dataclass(frozen=True)
class RetryPolicy:
    """How long one attempt may wait for its lock, when to retry, and the total time budget."""

    lock_timeout: str = conf.default("lock_timeout")
    budget: float = conf.default("ddl_time_budget")
    base_delay: float = conf.default("ddl_retry_base_delay")
    max_delay: float = conf.default("ddl_retry_max_delay")
    jitter: float = DEFAULT_JITTER
    end_blockers: EndPolicy = field(default_factory=EndPolicy)
    cancel_autovacuum: bool = conf.default("ddl_cancel_autovacuum")

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        """Return the policy of the ``ZDT_LOCK_TIMEOUT`` and ``ZDT_DDL_*`` settings."""
        values = conf.get()
        return cls(
            lock_timeout=values.lock_timeout,
            budget=values.ddl_time_budget,
            base_delay=values.ddl_retry_base_delay,
            max_delay=values.ddl_retry_max_delay,
            end_blockers=EndPolicy(
                idle_after=values.ddl_end_idle_blockers_after,
                active=values.ddl_end_active_blockers,
            ),
            cancel_autovacuum=values.ddl_cancel_autovacuum,
        )

    @property
    def lock_timeout_seconds(self) -> float:
        """Return the lock timeout in seconds."""
        return seconds_of(self.lock_timeout)

    def delay(self, retry: int, rng: Callable[[], float] = random.random) -> float:
        """Return the pause before retry number ``retry`` (1-based): doubling, capped, jittered."""
        return backoff(retry, base=self.base_delay, cap=self.max_delay, jitter=self.jitter, rng=rng)


@dataclass
class StatementRecord:
    """What running one statement cost: attempts, lock waits, back-off, blockers, the final run."""

    sql: str
    lock_timeout: str
    budget_seconds: float = 0.0
    attempts: int = 0
    lock_timeouts: int = 0
    lock_wait_seconds: float = 0.0
    backoff_seconds: float = 0.0
    run_seconds: float = 0.0
    elapsed_seconds: float = 0.0
    in_transaction: bool = False
    outcome: str = "running"
    started_at: float = field(default_factory=time.time)
    blockers: list[dict[str, Any]] = field(default_factory=list)
    ended_blockers: list[dict[str, Any]] = field(default_factory=list)
    cancelled_autovacuum: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the record as plain JSON-ready data."""
        return asdict(self)


_recorders: list[list[StatementRecord]] = []
_recorders_lock = threading.Lock()


@contextmanager
def recording() -> Iterator[list[StatementRecord]]:
    """Collect the record of every statement run inside the block (for tests and benchmarks)."""
    records: list[StatementRecord] = []
    with _recorders_lock:
        _recorders.append(records)
    try:
        yield records
    finally:
        with _recorders_lock:
            _recorders.remove(records)


def is_lock_timeout(error: BaseException) -> bool:
    """Return True when ``error`` (or its cause) is PostgreSQL's lock_timeout cancellation."""
    for candidate in (error, error.__cause__):
        if getattr(candidate, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            return True
        if getattr(candidate, "pgcode", None) == LOCK_NOT_AVAILABLE:
            return True
    return False


@contextmanager
def session_lock_timeout(connection: BaseDatabaseWrapper, value: str) -> Iterator[None]:
    """Set ``lock_timeout`` for the block and put the previous value back afterwards."""
    with session_setting(connection, "lock_timeout", value):
        yield


@contextmanager
def session_setting(connection: BaseDatabaseWrapper, name: str, value: str) -> Iterator[None]:
    """Set the server setting ``name`` for the block and put the previous value back afterwards."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s), set_config(%s, %s, false)", [name, name, value])
        previous = cursor.fetchone()[0]
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, false)", [name, previous])


def run(
    connection: BaseDatabaseWrapper,
    action: Callable[[], object],
    *,
    sql: str,
    policy: RetryPolicy | None = None,
    before_retry: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    relations: Sequence[str] = (),
) -> StatementRecord:
    """Run ``action`` (which executes ``sql`` once) under the lock timeout, retrying on timeout.

    ``before_retry`` undoes what a timed-out attempt left behind outside a transaction (an
    INVALID index of a concurrent build). ``relations`` are the tables ``sql`` locks in a mode
    autovacuum's lock conflicts with (:func:`autovacuum_conflicts`): an autovacuum on one of
    them is cancelled before each attempt when the policy says so. Raise
    :class:`LockRetriesExhausted`, naming the blockers, when the next attempt would end after
    ``policy.budget`` seconds; any other error propagates at once.
    """
    policy = policy or RetryPolicy.from_settings()
    record = StatementRecord(
        sql=sql,
        lock_timeout=policy.lock_timeout,
        budget_seconds=policy.budget,
        in_transaction=connection.in_atomic_block,
    )
    timeout = policy.lock_timeout_seconds
    started = time.monotonic()
    watch: BlockerWatch | None = None
    try:
        while True:
            record.attempts += 1
            if watch is None:
                watch = BlockerWatch(
                    _connector(connection),
                    _backend_pid(connection),
                    policy.end_blockers,
                    cancel_autovacuum=policy.cancel_autovacuum,
                )
            if policy.cancel_autovacuum and relations:
                _clear_autovacuum(connection, relations, watch)
            attempt_started = time.monotonic()
            try:
                with watch.attempt(after=timeout * WATCH_AT):
                    _attempt(connection, action, policy.lock_timeout)
            except OperationalError as error:
                waited = time.monotonic() - attempt_started
                if not is_lock_timeout(error):
                    raise
                record.lock_timeouts += 1
                record.lock_wait_seconds += waited
                _note_blockers(record, watch)
                pause = policy.delay(record.attempts)
                spent = time.monotonic() - started
                if spent + pause + timeout > policy.budget:
                    record.outcome = "gave up"
                    record.elapsed_seconds = spent
                    blockers = describe_all(watch.blockers)
                    logger.error(
                        "lock timeout %d after %.3f s, %.1f s of the %g s budget spent, giving up:"
                        " %s; blocked by %s",
                        record.attempts,
                        waited,
                        spent,
                        policy.budget,
                        one_line(sql),
                        blockers,
                        extra={"ddl": record.as_dict()},
                    )
                    autovacuum = any(b.backend_type == AUTOVACUUM_WORKER for b in watch.blockers)
                    raise LockRetriesExhausted(record, blockers, autovacuum=autovacuum) from error
                logger.warning(
                    "lock timeout %d after %.3f s (%.1f s of the %g s budget spent), retrying in"
                    " %.2f s: %s; blocked by %s",
                    record.attempts,
                    waited,
                    spent,
                    policy.budget,
                    pause,
                    one_line(sql),
                    describe_all(watch.blockers),
                )
                sleep(pause)
                record.backoff_seconds += pause
                if before_retry is not None:
                    before_retry()
                continue
            _note_blockers(record, watch)
            record.run_seconds = time.monotonic() - attempt_started
            record.outcome = "ok"
            logger.info(
                "ran in %.3f s, its lock wait included (attempt %d, %.3f s lost to timed-out"
                " attempts): %s",
                record.run_seconds,
                record.attempts,
                record.lock_wait_seconds,
                one_line(sql),
                extra={"ddl": record.as_dict()},
            )
            return record
    except BaseException:
        if record.outcome == "running":
            record.outcome = "error"
        raise
    finally:
        if watch is not None:
            watch.close()
        record.elapsed_seconds = time.monotonic() - started
        _publish(record)


def execute(
    connection: BaseDatabaseWrapper,
    sql: str,
    params: list[Any] | tuple[Any, ...] | None = None,
    *,
    policy: RetryPolicy | None = None,
    before_retry: Callable[[], None] | None = None,
) -> StatementRecord:
    """Execute one SQL statement on ``connection`` with :func:`run`'s timeout and retries."""

    def action() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    composed = connection.ops.compose_sql(sql, params) if params else sql  # type: ignore[attr-defined]
    return run(
        connection,
        action,
        sql=sql,
        policy=policy,
        before_retry=before_retry,
        relations=autovacuum_conflicts(parse(composed)),
    )


def autovacuum_conflicts(statements: Sequence[Statement]) -> tuple[str, ...]:
    """Return the relations ``statements`` lock in a mode autovacuum's lock conflicts with."""
    return tuple(
        dict.fromkeys(
            str(rel) for statement in statements for rel in statement.autovacuum_conflicts
        )
    )


def _clear_autovacuum(
    connection: BaseDatabaseWrapper, relations: Sequence[str], watch: BlockerWatch
) -> None:
    """Cancel the autovacuum runs on ``relations`` from the watch's connection."""
    with connection.cursor() as cursor:
        found = autovacuum_on(cursor, relations)
    watch.cancel_autovacuum(found)


def _attempt(connection: BaseDatabaseWrapper, action: Callable[[], object], timeout: str) -> None:
    """Run one attempt: the timeout is set outside the savepoint so it can be restored."""
    savepoint = (
        transaction.atomic(using=connection.alias) if connection.in_atomic_block else nullcontext()
    )
    with session_lock_timeout(connection, timeout), savepoint:
        action()


def _backend_pid(connection: BaseDatabaseWrapper) -> int:
    """Return the server pid of ``connection``'s session."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _connector(connection: BaseDatabaseWrapper) -> Callable[[], Connection]:
    """Return a function that opens a new autocommit connection like ``connection``'s."""

    def connect() -> Connection:
        raw = connection.get_new_connection(connection.get_connection_params())
        raw.autocommit = True
        return raw

    return connect


def _note_blockers(record: StatementRecord, watch: BlockerWatch) -> None:
    """Copy the blockers the watch saw (and ended or cancelled) into the record."""
    if watch.blockers:
        record.blockers = [blocker.as_dict() for blocker in watch.blockers]
    record.ended_blockers = [blocker.as_dict() for blocker in watch.ended]
    record.cancelled_autovacuum = [run.as_dict() for run in watch.cancelled]


def _publish(record: StatementRecord) -> None:
    """Hand a finished record to the active recorders and the record file."""
    with _recorders_lock:
        for records in _recorders:
            records.append(record)
    path = _record_file()
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record.as_dict()) + "\n")


def _record_file() -> str | None:
    """Return the JSON-lines file records are appended to, if one is configured."""
    return conf.get().ddl_record_file
