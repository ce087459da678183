"""Tests of zerodowntime.ddl: lock timeout, retries with back-off, records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import ProgrammingError, connection, transaction

from tests.zerodowntime.locking import AppTraffic, execute, holding
from zerodowntime import ddl

FAST = ddl.RetryPolicy(lock_timeout="200ms", budget=30.0, base_delay=0.1, max_delay=0.4)


@pytest.fixture
def table(transactional_db: None) -> Iterator[str]:
    """Create a small table with rows, and drop it afterwards."""
    execute("CREATE TABLE ddl_t (id bigserial PRIMARY KEY, name text)")
    execute("INSERT INTO ddl_t (name) SELECT 'n' || g FROM generate_series(1, 100) g")
    yield "ddl_t"
    execute("DROP TABLE IF EXISTS ddl_t")


def columns(table: str) -> set[str]:
    """Return the column names of ``table``."""
    rows = execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
        "AND NOT attisdropped",
        [table],
    )
    return {row[0] for row in rows}


def test_delay_doubles_is_capped_and_jittered() -> None:
    policy = ddl.RetryPolicy(base_delay=0.5, max_delay=3.0, jitter=0.5)
    assert [policy.delay(n, rng=lambda: 0.5) for n in (1, 2, 3, 4, 5)] == [0.5, 1, 2, 3, 3]
    assert policy.delay(1, rng=lambda: 0.0) == 0.25
    assert policy.delay(1, rng=lambda: 1.0) == 0.75


def test_policy_reads_settings(settings: pytest.FixtureRequest) -> None:
    settings.ZDT_LOCK_TIMEOUT = "250ms"
    settings.ZDT_DDL_TIME_BUDGET = 3
    settings.ZDT_DDL_RETRY_BASE_DELAY = 0.2
    settings.ZDT_DDL_END_ACTIVE_BLOCKERS = True
    policy = ddl.RetryPolicy.from_settings()
    assert (policy.lock_timeout, policy.budget, policy.base_delay) == ("250ms", 3.0, 0.2)
    assert policy.end_blockers.active and policy.end_blockers.idle_after is None


def test_durations_are_read_as_postgresql_reads_them() -> None:
    assert [ddl.seconds_of(d) for d in ("200ms", "1s", "1.5 s", "500", "2min")] == [
        0.2,
        1.0,
        1.5,
        0.5,
        120.0,
    ]
    with pytest.raises(ValueError, match="not a PostgreSQL duration"):
        ddl.seconds_of("soon")


def test_good_flow_retry_waits_out_a_lock_without_queueing_app_queries(table: str) -> None:
    traffic = AppTraffic(table)
    traffic.start()
    with holding(f"SELECT count(*) FROM {table}", seconds=1.5):
        record = ddl.execute(connection, f"ALTER TABLE {table} ADD COLUMN extra int", policy=FAST)
    traffic.stop()

    assert record.outcome == "ok"
    assert record.attempts > 1
    assert record.lock_timeouts == record.attempts - 1
    assert record.lock_wait_seconds >= 0.2 * record.lock_timeouts * 0.9
    assert record.elapsed_seconds >= 1.4
    assert "extra" in columns(table)
    assert not traffic.errors
    assert len(traffic.latencies) > 20
    # Queued behind the waiting ALTER, an insert waits at most one lock_timeout (200 ms).
    assert traffic.longest < 0.2 + 0.15, traffic.longest


def test_bad_flow_gives_up_with_a_clear_error(table: str) -> None:
    policy = ddl.RetryPolicy(lock_timeout="100ms", budget=0.6, base_delay=0.05, jitter=0)
    with (
        ddl.recording() as records,
        holding(f"SELECT count(*) FROM {table}", seconds=10),
        pytest.raises(ddl.LockRetriesExhausted) as caught,
    ):
        ddl.execute(connection, f"ALTER TABLE {table} ADD COLUMN extra int", policy=policy)

    message = str(caught.value)
    assert message.startswith("Gave up on `ALTER TABLE ddl_t ADD COLUMN extra int` after 0.")
    assert "(3 attempts, each waiting at most 100ms" in message
    assert "pg_terminate_backend" in message and "ZDT_DDL_TIME_BUDGET (now 0.6 s)" in message
    assert isinstance(caught.value, TimeoutError)
    assert [(r.outcome, r.attempts, r.lock_timeouts) for r in records] == [("gave up", 3, 3)]
    assert "extra" not in columns(table)


def test_retry_inside_a_transaction_uses_a_savepoint(table: str) -> None:
    with transaction.atomic():
        execute(f"INSERT INTO {table} (name) VALUES ('before')")
        with holding(f"SELECT count(*) FROM {table}", seconds=0.6):
            record = ddl.execute(
                connection, f"ALTER TABLE {table} ADD COLUMN extra int", policy=FAST
            )
        execute(f"UPDATE {table} SET extra = 1 WHERE name = 'before'")

    assert record.in_transaction and record.attempts > 1
    assert execute(f"SELECT extra FROM {table} WHERE name = 'before'") == [(1,)]


def test_previous_lock_timeout_is_restored(table: str) -> None:
    execute("SET lock_timeout = '7s'")
    ddl.execute(connection, f"ALTER TABLE {table} ADD COLUMN extra int", policy=FAST)
    with pytest.raises(ProgrammingError):
        ddl.execute(connection, "ALTER TABLE no_such_table ADD COLUMN x int", policy=FAST)
    assert execute("SHOW lock_timeout") == [("7s",)]
    execute("RESET lock_timeout")


def test_other_errors_are_not_retried(table: str) -> None:
    with ddl.recording() as records, pytest.raises(ProgrammingError):
        ddl.execute(connection, f"ALTER TABLE {table} ADD COLUMN name text", policy=FAST)
    assert [(r.outcome, r.attempts) for r in records] == [("error", 1)]


def test_before_retry_runs_between_attempts(table: str) -> None:
    calls: list[int] = []
    with holding(f"SELECT count(*) FROM {table}", seconds=0.5):
        record = ddl.execute(
            connection,
            f"ALTER TABLE {table} ADD COLUMN extra int",
            policy=FAST,
            before_retry=lambda: calls.append(1),
        )
    assert len(calls) == record.attempts - 1 > 0


def test_records_are_appended_to_the_record_file(
    table: str, tmp_path: Path, settings: pytest.FixtureRequest
) -> None:
    settings.ZDT_DDL_RECORD_FILE = str(tmp_path / "ddl.jsonl")
    ddl.execute(connection, f"ALTER TABLE {table} ADD COLUMN extra int", policy=FAST)
    lines = (tmp_path / "ddl.jsonl").read_text().splitlines()
    assert [json.loads(line)["sql"] for line in lines] == [
        f"ALTER TABLE {table} ADD COLUMN extra int"
    ]
