"""Tests of the stall budget: who blocks a DDL statement, the time budget, ending idle blockers."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection

from tests.zerodowntime.locking import conninfo, execute, holding
from zerodowntime import ddl
from zerodowntime.blockers import Blocker, EndPolicy

QUERY = "SELECT count(*) FROM stall_t"


def policy(**changes: object) -> ddl.RetryPolicy:
    """Return a quick policy (100 ms lock timeout, short back-off) with ``changes``."""
    values: dict[str, object] = dict(lock_timeout="100ms", budget=10.0, base_delay=0.05)
    values.update(max_delay=0.2, **changes)
    return ddl.RetryPolicy(**values)  # type: ignore[arg-type]


@pytest.fixture
def table(transactional_db: None) -> Iterator[str]:
    """Create a small table, and drop it afterwards."""
    execute("CREATE TABLE stall_t (id bigserial PRIMARY KEY, name text)")
    execute("INSERT INTO stall_t (name) SELECT 'n' || g FROM generate_series(1, 100) g")
    yield "stall_t"
    execute("DROP TABLE IF EXISTS stall_t")


def columns(table: str) -> set[str]:
    """Return the column names of ``table``."""
    rows = execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
        " AND NOT attisdropped",
        [table],
    )
    return {str(row[0]) for row in rows}


def blocker(state: str, *, state_seconds: float, transaction_seconds: float) -> Blocker:
    """Return a blocker in ``state`` for the policy tests."""
    return Blocker(1, "app", state, transaction_seconds, state_seconds, "SELECT 1")


def test_end_policy_ends_nothing_unless_asked_and_active_queries_only_when_asked() -> None:
    idle = blocker("idle in transaction", state_seconds=60, transaction_seconds=60)
    young = blocker("idle in transaction", state_seconds=1, transaction_seconds=60)
    active = blocker("active", state_seconds=60, transaction_seconds=60)
    assert not EndPolicy().allows(idle)
    assert EndPolicy(idle_after=30).allows(idle)
    assert not EndPolicy(idle_after=30).allows(young)
    assert not EndPolicy(idle_after=30).allows(active)
    assert EndPolicy(idle_after=30, active=True).allows(active)
    assert not EndPolicy(idle_after=90, active=True).allows(active)


def test_each_retry_names_the_blocker_in_the_log_and_the_record(
    table: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="zerodowntime.ddl")
    with holding(QUERY, seconds=1.5) as holder:
        pid = holder.info.backend_pid
        record = ddl.execute(
            connection, f"ALTER TABLE {table} ADD COLUMN extra int", policy=policy()
        )

    assert record.outcome == "ok" and record.attempts > 1
    assert [b["pid"] for b in record.blockers] == [pid]
    assert record.blockers[0]["state"] == "idle in transaction"
    assert record.blockers[0]["query"] == QUERY
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert retries, caplog.text
    assert f"pid {pid} (" in retries[-1] and "idle in transaction, transaction open" in retries[-1]
    assert QUERY in retries[-1]


def test_the_time_budget_bounds_the_wait_and_the_failure_names_blocker_and_options(
    table: str,
) -> None:
    budget = policy(budget=1.5)
    with holding(QUERY, seconds=30) as holder:
        pid = holder.info.backend_pid
        began = time.monotonic()
        with pytest.raises(ddl.LockRetriesExhausted) as caught:
            ddl.execute(connection, f"ALTER TABLE {table} ADD COLUMN extra int", policy=budget)
        took = time.monotonic() - began

    message = str(caught.value)
    assert 1.0 <= took <= 1.5 + 0.5, took
    assert caught.value.record.attempts >= 4  # time, not a count of tries, ended it
    assert f"pid {pid} (" in message and QUERY in message
    assert "ZDT_DDL_TIME_BUDGET" in message and "ZDT_DDL_END_IDLE_BLOCKERS_AFTER" in message
    assert "\n" not in message
    assert "extra" not in columns(table)


def test_an_idle_in_transaction_blocker_older_than_the_age_is_ended(table: str) -> None:
    ending = policy(end_blockers=EndPolicy(idle_after=0.3))
    with psycopg.connect(conninfo()) as holder:
        holder.execute(QUERY)  # and stays idle in transaction
        pid = holder.info.backend_pid
        began = time.monotonic()
        sql = f"ALTER TABLE {table} ADD COLUMN extra int"
        record = ddl.execute(connection, sql, policy=ending)
        took = time.monotonic() - began
        with pytest.raises(psycopg.OperationalError):
            holder.execute("SELECT 1")

    assert record.outcome == "ok"
    assert [b["pid"] for b in record.ended_blockers] == [pid]
    assert took < 5, took
    assert "extra" in columns(table)


class ActiveBlocker(threading.Thread):
    """A transaction that read the table and then runs a long query (state ``active``)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(daemon=True)
        self.seconds = seconds
        self.ready = threading.Event()
        self.pid = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        with psycopg.connect(conninfo()) as conn:
            self.pid = conn.info.backend_pid
            conn.execute(QUERY)
            self.ready.set()
            try:
                conn.execute("SELECT pg_sleep(%s)", [self.seconds])
            except psycopg.Error as exc:
                self.error = exc


@pytest.mark.parametrize("active", [False, True])
def test_an_active_blocker_is_ended_only_when_asked(table: str, active: bool) -> None:
    running = ActiveBlocker(seconds=4)
    running.start()
    running.ready.wait(10)
    time.sleep(0.5)
    ending = policy(budget=2.0, end_blockers=EndPolicy(idle_after=0.2, active=active))
    sql = f"ALTER TABLE {table} ADD COLUMN extra int"
    try:
        if active:
            record = ddl.execute(connection, sql, policy=ending)
            assert [b["pid"] for b in record.ended_blockers] == [running.pid]
        else:
            with pytest.raises(ddl.LockRetriesExhausted) as caught:
                ddl.execute(connection, sql, policy=ending)
            assert caught.value.record.ended_blockers == []
            assert f"pid {running.pid} (" in str(caught.value)
    finally:
        running.join(timeout=10)
    assert ("extra" in columns(table)) is active
    assert (running.error is not None) is active
