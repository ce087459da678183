"""Faults injected into a rehearsal: the plan, the windows, and a small run with all of them."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from zerodowntime.deploy.background_status import BackgroundProgress
from zerodowntime.rehearsal.faults import KINDS, FaultPlan, backfills_finished_once
from zerodowntime.rehearsal.orchestrator import RehearsalConfig, rehearse
from zerodowntime.rehearsal.records import FaultRecord, RequestRecord
from zerodowntime.rehearsal.records import in_fault_window as in_window
from zerodowntime.rehearsal.report import verdict_of, write_report
from zerodowntime.rehearsal.verdict import Targets
from zerodowntime.scratch import drop_database

DATABASE = "zdt_rehearsal_faults_test"


def request(scheduled: float, finished: float, ok: bool = True) -> RequestRecord:
    """Return a request sent at ``scheduled`` and answered at ``finished``."""
    return RequestRecord(scheduled, scheduled, finished, "p", "s", "0.1.0", "op", "0.1.0", ok)


@pytest.mark.parametrize("upgrades", [1, 2, 3, 4])
def test_every_fault_lands_in_exactly_one_upgrade(upgrades: int) -> None:
    plan = FaultPlan(upgrades=upgrades, seed=3)
    drawn = [kind for number in range(upgrades) for kind in plan.kinds(number)]
    assert sorted(drawn) == sorted(k for k in KINDS if k != "blocker")
    assert "kill_worker" in plan.kinds(0) and "restart_database" in plan.kinds(0)


def test_the_seed_fixes_the_times() -> None:
    def draws(seed: int) -> list[float]:
        plan = FaultPlan(3, seed=seed)
        return [plan.draw(0, 10) for _ in range(5)]

    assert draws(1) == draws(1)
    assert draws(1) != draws(2)


def test_a_request_in_flight_during_a_window_is_inside_it() -> None:
    fault = FaultRecord("kill_server", "0.2.0", started=10.0, ended=12.0)
    skipped = FaultRecord("stop_broker", "0.3.0", started=20.0, ended=20.0, skipped=True)
    assert in_window(request(9.5, 10.1), [fault])  # in flight when the server died
    assert in_window(request(11.0, 11.2), [fault])
    assert not in_window(request(9.0, 9.9), [fault])
    assert not in_window(request(12.1, 12.2), [fault])
    assert not in_window(request(19.9, 20.1), [skipped])


def test_backfills_finished_once_reads_the_records_and_the_workers_logs(tmp_path: Path) -> None:
    done = [BackgroundProgress("slug", "done", 10, 10), BackgroundProgress("created", "done", 5, 5)]
    first, second = tmp_path / "01-worker.log", tmp_path / "02-worker.log"
    slug = "2026-12-01 21:05:54,300 INFO runner: slug: done, 10 rows in 0.1 s of batches\n"
    # The same record through Celery's handler too: one event, not two.
    slug += "[2026-12-01 21:05:54,300: INFO/ForkPoolWorker-2] slug: done, 10 rows in 0.1 s\n"
    first.write_text(slug)
    second.write_text("2026-12-01 21:05:55,001 INFO runner: created: done, 5 rows in 0.1 s\n")
    assert backfills_finished_once(done, [first, second]).status == "passed"
    again = "2026-12-01 21:06:10,020 INFO runner: slug: done, 10 rows in 0.1 s of batches\n"
    second.write_text(second.read_text() + again)
    twice = backfills_finished_once(done, [first, second])
    assert twice.failed and "slug: done, finished 2 times" in twice.detail
    running = [BackgroundProgress("slug", "running", 5, 10)]
    assert backfills_finished_once(running, [first]).failed


@pytest.mark.timeout(420)
def test_small_rehearsal_with_every_fault(tmp_path: Path) -> None:
    # A Redis database of its own: a worker another rehearsal test left behind (stopped by a
    # timeout) would otherwise take this run's backfill tasks.
    redis = urlsplit(os.environ["REDIS_URL"])._replace(path="/2").geturl()
    config = RehearsalConfig(
        path=("0.1.0", "0.1.1"),  # one upgrade (with backfills) meets every fault
        server_url=os.environ["DATABASE_URL"],
        redis_url=redis,
        workdir=tmp_path,
        rows=2_000,
        rate=15,
        phase_seconds=3,
        database_name=DATABASE,
        seed=7,
        faults=True,
    )
    try:
        result = rehearse(config)
    finally:
        drop_database(config.server_url, DATABASE)

    kinds = [fault.kind for fault in result.faults]
    assert sorted(set(kinds)) == sorted(KINDS)
    assert kinds.count("blocker") == 1  # one in front of each migrate
    assert not [f for f in result.faults if f.skipped], result.faults
    assert all(f.ended is not None and f.ended >= f.started for f in result.faults)
    outside = [r for r in result.failed if not in_window(r, result.faults)]
    assert outside == [], outside[:5]
    checks = {c.name: c.status for c in result.checks}
    assert checks["acknowledged creates present"] == "passed"
    assert checks["backfills finished exactly once"] == "passed", result.checks
    assert result.integrity_ok, result.checks
    blocker = next(f for f in result.faults if f.kind == "blocker" and f.release == "0.1.1")
    pid = blocker.detail.split()[1]
    migrate_log = (tmp_path / "logs" / "migrate-0.1.1.log").read_text()
    assert f"pid {pid} (zdt-fault-blocker, idle in transaction" in migrate_log
    # Latency is not judged on a busy test machine; failures outside the windows are.
    relaxed = Targets(max_latency_ms=60_000, p99_ratio=1_000)
    verdict = verdict_of(result, relaxed)
    assert verdict.headline == "PASSED", verdict.results
    _, html = write_report(result, tmp_path, verdict)
    page = html.read_text()
    assert 'id="faults"' in page and "restart_database (0.1.1)" in page
