"""The batch runner: keyset batches, exactly-once work, resume, time budget, stragglers."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connection, transaction

from tests.zerodowntime.background.backfills import FlakyCounterBackfill, SlowCounterBackfill
from tests.zerodowntime.background.fixtures import ItemsTable
from zerodowntime.background.exceptions import BackfillBusy, BackfillError, BackfillFailed
from zerodowntime.background.locks import LOCK_CLASS, lock_holders
from zerodowntime.background.models import BackgroundMigration
from zerodowntime.background.runner import run_backfill
from zerodowntime.waiting import wait_until

Status = BackgroundMigration.Status


def test_keyset_batches_fill_every_row_exactly_once(items: ItemsTable) -> None:
    ids = [i for i in range(1, 3001) if i % 7 and i % 11]  # gaps in the pk
    items.create(ids)
    seen: list[tuple[int | None, int]] = []

    record = run_backfill("test_counter", progress=lambda r: seen.append((r.cursor, r.batch_size)))

    assert items.histogram() == {1: len(ids)}
    assert record.status == Status.DONE
    assert record.rows_done == record.rows_total == len(ids)
    assert record.cursor == max(ids)
    assert record.finished_at is not None and record.attempts == 1
    cursors = [cursor for cursor, _ in seen]
    assert len(cursors) > 10 and cursors == sorted(cursors)
    assert all(10 <= size <= 200 for _, size in seen)


def test_a_wide_gap_in_the_keys_costs_no_empty_batches(items: ItemsTable) -> None:
    ids = [*range(1, 101), *range(10_000_001, 10_000_101)]
    items.create(ids)
    seen: list[int | None] = []

    record = run_backfill("test_counter", progress=lambda r: seen.append(r.cursor))

    assert items.histogram() == {1: 200}
    assert record.cursor == 10_000_100
    assert len(seen) <= 12  # 200 rows in batches of 20 and more, none spent on the gap


def test_running_again_changes_nothing(items: ItemsTable) -> None:
    items.create(count=500)
    run_backfill("test_counter")
    BackgroundMigration.objects.filter(name="test_counter").update(
        cursor=None, status=Status.PENDING
    )

    record = run_backfill("test_counter")

    assert items.histogram() == {1: 500}
    assert record.status == Status.DONE and record.rows_done == 500


def test_rows_inserted_after_done_are_picked_up_by_the_next_run(items: ItemsTable) -> None:
    items.create(count=300)
    run_backfill("test_counter")
    items.insert(list(range(301, 351)))

    record = run_backfill("test_counter")

    assert items.histogram() == {1: 350}
    assert record.cursor == 350 and record.rows_done == 350 and record.attempts == 2


def test_rows_committed_late_below_the_cursor_are_swept(items: ItemsTable) -> None:
    items.create(list(range(1, 400, 2)))  # odd ids
    run_backfill("test_counter")
    items.insert([50, 250])  # as if their transactions committed after their batches ran

    record = run_backfill("test_counter")

    assert items.histogram() == {1: 202}
    assert record.status == Status.DONE and record.cursor == 399


def test_a_backfill_that_leaves_rows_pending_fails_instead_of_looping(items: ItemsTable) -> None:
    items.create(count=50)

    with pytest.raises(BackfillFailed, match="process_batch does not change every pending row"):
        run_backfill("test_lazy_counter")

    assert BackgroundMigration.objects.get(name="test_lazy_counter").status == Status.FAILED


def test_a_failed_batch_is_recorded_and_the_next_run_resumes_from_the_cursor(
    items: ItemsTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    items.create(count=1000)
    monkeypatch.setattr(FlakyCounterBackfill, "fail_above", 400)

    with pytest.raises(BackfillFailed, match="simulated failure") as failure:
        run_backfill("test_flaky_counter")

    assert "zdt backfills run test_flaky_counter" in str(failure.value)
    record = BackgroundMigration.objects.get(name="test_flaky_counter")
    assert record.status == Status.FAILED
    assert "ValueError: simulated failure" in record.last_error
    assert record.cursor is not None and record.cursor <= 400
    assert items.filled_ids() == list(range(1, record.cursor + 1))  # the failed batch rolled back
    assert record.rows_done == record.cursor

    monkeypatch.setattr(FlakyCounterBackfill, "fail_above", None)
    record = run_backfill("test_flaky_counter")

    assert items.histogram() == {1: 1000}
    assert record.status == Status.DONE and record.attempts == 2 and record.last_error == ""


def test_a_time_budget_stops_between_batches_and_the_next_run_continues(
    items: ItemsTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    items.create(count=400)
    monkeypatch.setattr(SlowCounterBackfill, "sleep_seconds", 0.05)

    record = run_backfill("test_slow_counter", time_budget=0.2)

    assert record.status == Status.RUNNING
    assert 0 < record.rows_done < 400 and record.rows_done == len(items.filled_ids())
    record = run_backfill("test_slow_counter")
    assert record.status == Status.DONE and items.histogram() == {1: 400}


def test_the_batch_size_adapts_towards_the_target_duration(
    items: ItemsTable, settings: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ZDT_BACKGROUND_TARGET_SECONDS = 0.02
    settings.ZDT_BACKGROUND_BATCH_SIZE = 100
    monkeypatch.setattr(SlowCounterBackfill, "sleep_seconds", 0.08)  # every batch too slow
    items.create(count=100 + 50 + 25 + 12)
    sizes: list[int] = []

    run_backfill("test_slow_counter", progress=lambda record: sizes.append(record.batch_size))

    assert sizes == [50, 25, 12, 10, 10]  # halved per batch down to the minimum (last: done)


def test_the_batch_size_grows_when_batches_are_fast(
    items: ItemsTable, settings: pytest.FixtureRequest
) -> None:
    settings.ZDT_BACKGROUND_TARGET_SECONDS = 10.0
    settings.ZDT_BACKGROUND_BATCH_SIZE = 10
    items.create(count=10 + 20 + 40 + 80 + 160)
    sizes: list[int] = []

    run_backfill("test_counter", progress=lambda record: sizes.append(record.batch_size))

    assert sizes == [20, 40, 80, 160, 200, 200]  # doubled per batch up to the maximum


def test_only_one_runner_at_a_time(items: ItemsTable) -> None:
    items.create(count=10)
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", [LOCK_CLASS, "test_counter"])
        pid = other.info.backend_pid

        assert lock_holders(connection, ["test_counter", "test_slow_counter"]) == {
            "test_counter": pid
        }
        with pytest.raises(BackfillBusy, match=f"backend pid {pid}"):
            run_backfill("test_counter")
    assert items.histogram() == {0: 10}
    # The server drops a closed session's locks when its backend exits, a moment later.
    wait_until(lambda: not lock_holders(connection, ["test_counter"]), timeout=10, what="unlock")
    assert run_backfill("test_counter").status == Status.DONE


def test_it_refuses_to_run_inside_a_transaction(items: ItemsTable) -> None:
    items.create(count=10)
    with transaction.atomic(), pytest.raises(BackfillError, match="set atomic = False"):
        run_backfill("test_counter")


def test_an_empty_table_is_done_at_once(items: ItemsTable) -> None:
    items.create(count=0)
    record = run_backfill("test_counter")
    assert record.status == Status.DONE and record.rows_done == 0 and record.cursor is None


def test_a_lock_timeout_is_retried_with_a_smaller_batch(
    items: ItemsTable, settings: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    items.create(count=100)
    settings.ZDT_BACKGROUND_LOCK_TIMEOUT = "50ms"
    settings.ZDT_BACKGROUND_BATCH_SIZE = 200
    with psycopg.connect(**connection.get_connection_params()) as other:
        other.execute(f"SELECT 1 FROM {items.name} WHERE id = 50 FOR UPDATE")  # held open
        releaser = threading.Timer(0.5, other.rollback)
        releaser.start()
        try:
            record = run_backfill("test_counter")
        finally:
            releaser.join()

    assert record.status == Status.DONE and items.histogram() == {1: 100}
    assert "timed out (55P03); retrying with 100 rows" in caplog.text


def test_a_backfill_pauses_after_each_batch_for_the_nice_ratio_times_its_duration(
    items: ItemsTable, settings: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ZDT_BACKGROUND_NICE_RATIO = 2.0
    settings.ZDT_BACKGROUND_BATCH_SIZE = 20
    settings.ZDT_BACKGROUND_MIN_BATCH_SIZE = settings.ZDT_BACKGROUND_MAX_BATCH_SIZE = 20
    monkeypatch.setattr(SlowCounterBackfill, "sleep_seconds", 0.05)
    items.create(count=5 * 20)
    batches: list[tuple[float, float]] = []  # (when the batch ended, how long it took)

    run_backfill(
        "test_slow_counter",
        progress=lambda r: batches.append((time.monotonic(), r.last_batch_seconds or 0.0)),
    )

    assert items.histogram() == {1: 100}
    # Between two batches: the pause (twice the first batch) and the second batch itself.
    gaps = [
        (after - before, 2.0 * took + next_took)
        for (before, took), (after, next_took) in zip(batches, batches[1:5], strict=False)
    ]
    assert len(gaps) == 4
    assert all(gap >= least for gap, least in gaps), gaps


def setting(name: str) -> str:
    """Return the current value of server setting ``name`` in Django's session."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return str(cursor.fetchone()[0])


@pytest.mark.parametrize(
    ("name", "before", "during"),
    [("max_parallel_workers_per_gather", "2", "0"), ("wal_compression", "off", "pglz")],
    ids=["without parallel workers", "with its WAL compressed"],
)
def test_a_backfill_runs_its_batches_with_its_session_settings_then_restores_them(
    items: ItemsTable, name: str, before: str, during: str
) -> None:
    items.create(list(range(1, 501)))
    assert setting(name) == before
    seen: list[str] = []

    run_backfill("test_counter", progress=lambda record: seen.append(setting(name)))

    assert seen and set(seen) == {during}, seen
    assert setting(name) == before
