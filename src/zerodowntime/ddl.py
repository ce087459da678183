"""Run DDL statements under a short lock timeout and retry them with back-off.

A DDL statement that waits for a lock on a busy table queues every later query on that table
behind it. Each statement therefore runs with ``SET lock_timeout`` (1 s by default); when it
times out (SQLSTATE 55P03) it is retried after an exponential back-off with jitter, so the
application's queries run between the attempts. Inside a transaction each attempt runs in a
savepoint, so a timed-out attempt is rolled back alone and the retry is possible.

Every run leaves a :class:`StatementRecord` (attempts, time lost to attempts that timed out,
time slept, duration of the successful attempt, which includes any wait for its own lock).
Records go to the logger ``zerodowntime.ddl``, to every active :func:`recording` block, and,
when the ``ZDT_DDL_RECORD_FILE`` setting or environment variable names a file, to that file as
JSON lines.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import OperationalError

from zerodowntime import conf

logger = logging.getLogger("zerodowntime.ddl")

LOCK_NOT_AVAILABLE = "55P03"
DEFAULT_JITTER = 0.5


class LockRetriesExhausted(TimeoutError):
    """A DDL statement timed out on its lock on every attempt."""

    def __init__(self, record: StatementRecord) -> None:
        self.record = record
        super().__init__(
            f"Gave up after {record.attempts} attempts to run `{_short(record.sql)}`: each "
            f"waited {record.lock_timeout} for a lock another transaction held. Find the long "
            "transaction in pg_stat_activity and end it, or raise ZDT_DDL_RETRIES, then migrate "
            "again."
        )


@dataclass(frozen=True)
class RetryPolicy:
    """How long a statement may wait for its lock, and how often and when to retry it."""

    lock_timeout: str = conf.default("lock_timeout")
    retries: int = conf.default("ddl_retries")
    base_delay: float = conf.default("ddl_retry_base_delay")
    max_delay: float = conf.default("ddl_retry_max_delay")
    jitter: float = DEFAULT_JITTER

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        """Return the policy of ``ZDT_LOCK_TIMEOUT`` and ``ZDT_DDL_RETRIES`` (and its delays)."""
        values = conf.get()
        return cls(
            lock_timeout=values.lock_timeout,
            retries=values.ddl_retries,
            base_delay=values.ddl_retry_base_delay,
            max_delay=values.ddl_retry_max_delay,
        )

    def delay(self, retry: int, rng: Callable[[], float] = random.random) -> float:
        """Return the pause before retry number ``retry`` (1-based): doubling, capped, jittered."""
        nominal = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        return max(0.0, nominal * (1 + self.jitter * (2 * rng() - 1)))


@dataclass
class StatementRecord:
    """What running one statement cost: attempts, lock waits, back-off and the final run."""

    sql: str
    lock_timeout: str
    attempts: int = 0
    lock_timeouts: int = 0
    lock_wait_seconds: float = 0.0
    backoff_seconds: float = 0.0
    run_seconds: float = 0.0
    elapsed_seconds: float = 0.0
    in_transaction: bool = False
    outcome: str = "running"
    started_at: float = field(default_factory=time.time)

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
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        previous = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('lock_timeout', %s, false)", [value])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, false)", [previous])


def run(
    connection: BaseDatabaseWrapper,
    action: Callable[[], object],
    *,
    sql: str,
    policy: RetryPolicy | None = None,
    before_retry: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> StatementRecord:
    """Run ``action`` (which executes ``sql`` once) under the lock timeout, retrying on timeout.

    ``before_retry`` undoes what a timed-out attempt left behind outside a transaction (an
    INVALID index of a concurrent build). Raise :class:`LockRetriesExhausted` after
    ``policy.retries`` retries; any other error propagates at once.
    """
    policy = policy or RetryPolicy.from_settings()
    record = StatementRecord(
        sql=sql, lock_timeout=policy.lock_timeout, in_transaction=connection.in_atomic_block
    )
    started = time.monotonic()
    try:
        while True:
            record.attempts += 1
            attempt_started = time.monotonic()
            try:
                _attempt(connection, action, policy.lock_timeout)
            except OperationalError as error:
                waited = time.monotonic() - attempt_started
                if not is_lock_timeout(error):
                    raise
                record.lock_timeouts += 1
                record.lock_wait_seconds += waited
                if record.attempts > policy.retries:
                    record.outcome = "gave up"
                    logger.error(
                        "lock timeout %d/%d after %.3f s, giving up: %s",
                        record.attempts,
                        policy.retries + 1,
                        waited,
                        _short(sql),
                        extra={"ddl": record.as_dict()},
                    )
                    raise LockRetriesExhausted(record) from error
                pause = policy.delay(record.attempts)
                logger.warning(
                    "lock timeout %d/%d after %.3f s, retrying in %.2f s: %s",
                    record.attempts,
                    policy.retries + 1,
                    waited,
                    pause,
                    _short(sql),
                )
                sleep(pause)
                record.backoff_seconds += pause
                if before_retry is not None:
                    before_retry()
                continue
            record.run_seconds = time.monotonic() - attempt_started
            record.outcome = "ok"
            logger.info(
                "ran in %.3f s, its lock wait included (attempt %d, %.3f s lost to timed-out"
                " attempts): %s",
                record.run_seconds,
                record.attempts,
                record.lock_wait_seconds,
                _short(sql),
                extra={"ddl": record.as_dict()},
            )
            return record
    except BaseException:
        if record.outcome == "running":
            record.outcome = "error"
        raise
    finally:
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

    return run(connection, action, sql=sql, policy=policy, before_retry=before_retry)


def _attempt(connection: BaseDatabaseWrapper, action: Callable[[], object], timeout: str) -> None:
    """Run one attempt: the timeout is set outside the savepoint so it can be restored."""
    savepoint = (
        transaction.atomic(using=connection.alias) if connection.in_atomic_block else nullcontext()
    )
    with session_lock_timeout(connection, timeout), savepoint:
        action()


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


def _short(sql: str, limit: int = 200) -> str:
    """Return ``sql`` on one line, cut to ``limit`` characters."""
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
