"""Celery: real workers that are killed, a broker that is down, beat's re-enqueueing."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django.utils import timezone

from tests.zerodowntime.background.celery_workers import celery_worker, kill, wait_for
from tests.zerodowntime.background.fixtures import (
    ItemsTable,
    SessionRedis,
    flow_app,
    flow_histogram,
)
from zerodowntime.background.constants import QUEUE, RUN_TASK
from zerodowntime.background.enqueue import enqueue
from zerodowntime.background.models import BackgroundMigration
from zerodowntime.background.records import ensure_record
from zerodowntime.background.tasks import enqueue_unfinished, run_background_migration

Status = BackgroundMigration.Status


def record(name: str) -> BackgroundMigration:
    return BackgroundMigration.objects.get(name=name)


def queued_names(broker: redis.Redis) -> list[str]:
    """Return the backfill names of the run tasks waiting in the backfills queue."""
    names = []
    for raw in reversed(broker.lrange(QUEUE, 0, -1)):  # kombu pushes on the left
        message = json.loads(raw)
        assert message["headers"]["task"] == RUN_TASK
        names.append(message["headers"]["argsrepr"].strip("[]()',"))
    return names


@pytest.mark.timeout(240)
def test_a_worker_killed_mid_backfill_and_restarted_fills_every_row_exactly_once(
    items: ItemsTable, broker: redis.Redis, tmp_path: Path
) -> None:
    items.create(count=600)  # 60 batches of 10 rows, each sleeping 0.1 s
    ensure_record("test_slow_counter")
    log = tmp_path / "worker.log"

    with celery_worker(log) as worker:  # worker_ready queues the unfinished record
        wait_for(lambda: record("test_slow_counter").rows_done >= 100, timeout=90, log=log)
        kill(worker)  # SIGKILL, most likely inside a batch's pg_sleep
    time.sleep(0.5)

    killed = record("test_slow_counter")
    assert killed.status == Status.RUNNING and 100 <= killed.rows_done < 600
    assert items.filled_ids() == list(range(1, killed.cursor + 1))  # the batch in flight is lost
    assert items.histogram() == {0: 600 - killed.rows_done, 1: killed.rows_done}

    with celery_worker(log):
        wait_for(lambda: record("test_slow_counter").is_done, timeout=150, log=log)

    finished = record("test_slow_counter")
    assert items.histogram() == {1: 600}
    assert finished.rows_done == 600 and finished.cursor == 600 and finished.attempts >= 2
    assert "queued unfinished background migrations at start: test_slow_counter" in log.read_text()


@pytest.mark.timeout(240)
@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_during_migrate_no_backfill_is_lost(
    session_redis: SessionRedis,
    broker: redis.Redis,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = tmp_path / "worker.log"
    with flow_app("good_flow"):
        with session_redis.stopped():
            began = time.monotonic()
            call_command("migrate", "good_flow", "0001", verbosity=0)
            migrate_seconds = time.monotonic() - began

        assert "could not enqueue background migration 'flow_counter'" in caplog.text
        assert migrate_seconds < 10
        assert record("flow_counter").status == Status.PENDING
        assert flow_histogram() == {0: 500} and queued_names(broker) == []

        with celery_worker(log):  # the broker is back: the worker queues it at start
            wait_for(lambda: record("flow_counter").is_done, timeout=120, log=log)

        assert flow_histogram() == {1: 500}


@pytest.mark.django_db(transaction=True)
def test_enqueue_puts_the_run_task_on_the_backfills_queue(broker: redis.Redis) -> None:
    assert enqueue("test_counter") is True
    assert queued_names(broker) == ["test_counter"]


@pytest.mark.django_db(transaction=True)
def test_enqueue_with_the_broker_down_logs_a_warning_and_returns_quickly(
    session_redis: SessionRedis, caplog: pytest.LogCaptureFixture
) -> None:
    with session_redis.stopped():
        began = time.monotonic()
        assert enqueue("test_counter") is False
        assert time.monotonic() - began < 5
    assert "could not enqueue background migration 'test_counter'" in caplog.text
    assert "Celery beat or the next worker start will queue it" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_beat_requeues_the_unfinished_records_nobody_works_on(broker: redis.Redis) -> None:
    long_ago = timezone.now() - timedelta(minutes=10)
    for name, status in [
        ("stale_pending", Status.PENDING),
        ("stale_running", Status.RUNNING),
        ("recent_running", Status.RUNNING),
        ("finished", Status.DONE),
    ]:
        BackgroundMigration.objects.create(name=name, status=status)
    BackgroundMigration.objects.exclude(name="recent_running").update(updated_at=long_ago)

    assert enqueue_unfinished() == ["stale_pending", "stale_running"]
    assert enqueue_unfinished(force=True) == ["stale_pending", "stale_running", "recent_running"]
    assert queued_names(broker) == [
        "stale_pending",
        "stale_running",
        "stale_pending",
        "stale_running",
        "recent_running",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_task_requeues_itself_until_done(
    items: ItemsTable,
    broker: redis.Redis,
    settings: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items.create(count=200)
    settings.ZDT_BACKGROUND_TASK_TIME_BUDGET = 0.0

    assert run_background_migration("test_counter") == "requeued"
    assert queued_names(broker) == ["test_counter"]
    settings.ZDT_BACKGROUND_TASK_TIME_BUDGET = 60.0
    assert run_background_migration("test_counter") == "done"
    assert run_background_migration("test_counter") == "done"
    assert items.histogram() == {1: 200} and queued_names(broker) == ["test_counter"]


@pytest.mark.django_db(transaction=True)
def test_the_task_records_a_failure_without_raising(
    items: ItemsTable, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.zerodowntime.background.backfills import FlakyCounterBackfill

    items.create(count=100)
    monkeypatch.setattr(FlakyCounterBackfill, "fail_above", 0)
    caplog.set_level(logging.ERROR)

    assert run_background_migration("test_flaky_counter") == "failed"
    assert record("test_flaky_counter").status == Status.FAILED
    assert run_background_migration("unknown_backfill") == "unknown"
