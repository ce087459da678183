"""Tests of the stall budget: who blocks a DDL statement, the time budget, ending idle blockers."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection

from tests.zerodowntime.locking import conninfo, execute, holding, use_fast_retries
from zerodowntime import ddl
from zerodowntime.blockers import Blocker, EndPolicy, autovacuum_on
from zerodowntime.sql import parse
from zerodowntime.waiting import wait_until

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
    assert "ZDT_DDL_CANCEL_AUTOVACUUM" not in message  # no autovacuum among the blockers
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


@pytest.fixture
def vacuumed(transactional_db: None) -> Iterator[tuple[str, int]]:
    """A table an autovacuum worker is slowly vacuuming (its name and the worker's pid).

    The table's own settings make any dead row start autovacuum and make it sleep 100 ms after
    each page; the server's ``autovacuum_naptime`` drops to 1 s until the worker has started.
    The test's session waits 10 s before its deadlock check, so PostgreSQL does not cancel the
    autovacuum itself (its default, 1 s, is also longer than the lock timeouts here).
    """
    execute(
        "CREATE TABLE vacuumed_t (id bigserial PRIMARY KEY, name text) WITH ("
        " autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0,"
        " autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)"
    )
    execute("INSERT INTO vacuumed_t (name) SELECT 'n' || g FROM generate_series(1, 50000) g")
    execute("DELETE FROM vacuumed_t WHERE id % 2 = 0")
    with psycopg.connect(conninfo(), autocommit=True) as admin:
        admin.execute("ALTER SYSTEM SET autovacuum_naptime = 1")
        admin.execute("SELECT pg_reload_conf()")
        try:
            with connection.cursor() as cursor:
                found = wait_until(
                    lambda: autovacuum_on(cursor, ['"vacuumed_t"']),
                    timeout=60,
                    what="autovacuum did not start on vacuumed_t",
                )
        finally:
            admin.execute("ALTER SYSTEM RESET autovacuum_naptime")
            admin.execute("SELECT pg_reload_conf()")
    execute("SET deadlock_timeout = '10s'")
    yield "vacuumed_t", found[0].pid
    execute("RESET deadlock_timeout")
    execute("DROP TABLE IF EXISTS vacuumed_t")


def test_an_autovacuum_of_the_table_is_cancelled_before_the_statement_would_wait_for_it(
    vacuumed: tuple[str, int], settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    table, pid = vacuumed
    use_fast_retries(settings)
    caplog.set_level(logging.INFO, logger="zerodowntime.ddl")
    with connection.schema_editor() as editor:
        editor.execute(f"ALTER TABLE {table} ADD COLUMN extra int")
    record = editor.ddl_records[-1]

    assert record.outcome == "ok"
    assert (record.attempts, record.lock_timeouts) == (1, 0)  # it never waited for autovacuum
    assert [run["pid"] for run in record.cancelled_autovacuum] == [pid]
    assert "autovacuum: VACUUM" in record.cancelled_autovacuum[0]["query"]
    assert f"cancelled autovacuum pid {pid} (autovacuum: VACUUM" in caplog.text
    assert "extra" in columns(table)


def test_an_autovacuum_seen_blocking_an_attempt_is_cancelled_during_the_attempt(
    vacuumed: tuple[str, int],
) -> None:
    table, pid = vacuumed

    def alter() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} ADD COLUMN extra int")

    # No relations named: the watch half-way through the attempt is what finds the autovacuum.
    record = ddl.run(connection, alter, sql="ALTER TABLE ...", policy=policy(lock_timeout="1s"))

    assert (record.attempts, record.lock_timeouts) == (1, 0)
    assert record.blockers[0]["backend_type"] == "autovacuum worker"
    assert [run["pid"] for run in record.cancelled_autovacuum] == [pid]
    assert record.run_seconds < 1.0
    assert "extra" in columns(table)


def test_without_cancelling_autovacuum_the_statement_times_out_behind_it(
    vacuumed: tuple[str, int],
) -> None:
    table, pid = vacuumed
    patient = policy(budget=1.0, cancel_autovacuum=False)
    with pytest.raises(ddl.LockRetriesExhausted) as caught:
        ddl.execute(connection, f"ALTER TABLE {table} ADD COLUMN extra int", policy=patient)

    assert f"pid {pid} (no application_name, active" in str(caught.value)
    assert "autovacuum: VACUUM" in str(caught.value)
    assert "ZDT_DDL_CANCEL_AUTOVACUUM" in str(caught.value)
    assert caught.value.record.cancelled_autovacuum == []
    assert "extra" not in columns(table)


def test_autovacuum_holds_up_the_relations_locked_share_update_exclusive_or_more() -> None:
    script = (
        "ALTER TABLE shop_order ADD COLUMN note text;"
        " CREATE INDEX CONCURRENTLY order_note ON shop.shop_item (note);"
        " INSERT INTO shop_log (id) VALUES (1);"
        " SELECT * FROM shop_order"
    )
    assert ddl.autovacuum_conflicts(parse(script)) == ('"shop_order"', '"shop"."shop_item"')
