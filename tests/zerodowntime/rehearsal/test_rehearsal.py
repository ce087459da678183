"""A small rehearsal end to end: real app servers, worker, traffic, probes and checks."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from click.testing import CliRunner

from tests.zerodowntime.deploy.fake_manifest import MANIFEST as FAKE
from zerodowntime.cli.main import cli
from zerodowntime.deploy.releases import ReleaseError
from zerodowntime.rehearsal.cluster import can_restore_priority
from zerodowntime.rehearsal.orchestrator import (
    RehearsalConfig,
    RehearsalError,
    check_path,
    rehearse,
)
from zerodowntime.rehearsal.report import verdict_of, write_report
from zerodowntime.rehearsal.verdict import Targets
from zerodowntime.scratch import drop_database

DATABASE = "zdt_rehearsal_test"


def _redis_db1() -> str:
    return urlsplit(os.environ["REDIS_URL"])._replace(path="/1").geturl()


def test_path_must_move_forward_and_a_jump_is_a_skip() -> None:
    assert check_path(FAKE, ["0.1.0", "0.1.1", "0.2.0"]) is False
    assert check_path(FAKE, ["0.1.0", "0.2.0"]) is True
    with pytest.raises(ReleaseError, match="must move forward"):
        check_path(FAKE, ["0.1.1", "0.1.0"])
    with pytest.raises(ReleaseError, match="unknown release"):
        check_path(FAKE, ["0.1.0", "9.9"])


@pytest.mark.timeout(120)
def test_small_rehearsal_of_the_first_release_has_no_failure(tmp_path: Path) -> None:
    config = RehearsalConfig(
        path=("0.1.0",),
        server_url=os.environ["DATABASE_URL"],
        redis_url=_redis_db1(),
        workdir=tmp_path,
        rows=2_000,
        rate=20,
        phase_seconds=4,
        database_name=DATABASE,
        database_work_niceness=10,
    )
    # A statement of the deployment's (by its application name) that blocks no query: run at
    # the lower niceness while the traffic runs, and reported.
    done = threading.Event()

    def deployment_work() -> None:
        with psycopg.connect(
            config.server_url, autocommit=True, application_name="zdt-migrate-test"
        ) as conn:
            while not done.is_set():
                conn.execute("SELECT pg_sleep(0.3)")

    worker = threading.Thread(target=deployment_work)
    worker.start()
    try:
        result = rehearse(config)
    finally:
        done.set()
        worker.join()
        drop_database(config.server_url, DATABASE)
    if can_restore_priority():  # root here; elsewhere the priority is left as it is
        assert any(s.endswith("× SELECT pg_sleep(0.3)") for s in result.lowered_statements)
    assert result.records, "no request was sent"
    assert result.failed == [], result.failed[:5]
    assert result.passed and not result.skip
    assert 60 <= len(result.records) <= 100
    assert {r.served_release for r in result.records} == {"0.1.0"}
    assert len({r.server for r in result.records}) == 2, "both app servers got traffic"
    operations = {r.operation for r in result.records}
    assert {"product", "products", "productCreate", "productUpdate"} <= operations
    statuses = {c.name: c.status for c in result.checks}
    assert statuses["acknowledged creates present"] == "passed"
    assert statuses["acknowledged deletes gone"] == "passed"
    assert statuses["slugs set and unique"] == "skipped"  # 0.1.0 has no slug column
    assert [p.kind for p in result.phases] == ["baseline"]
    # Latency is not judged here (a busy test machine); failures and integrity are.
    relaxed = Targets(max_latency_ms=60_000, p99_ratio=1_000)
    _, html = write_report(result, tmp_path, verdict_of(result, relaxed))
    assert 'id="verdict">PASSED<' in html.read_text()
    leftovers = list((tmp_path / "logs").glob("*.log"))
    assert len(leftovers) >= 3  # 2 servers + 1 worker, all stopped by now


def test_cli_refuses_an_unknown_release_in_one_sentence(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["rehearse", "--path", "0.1.0,7.7.7", "--report-dir", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "unknown release '7.7.7'" in result.output and "Traceback" not in result.output


def test_cli_refuses_a_skipped_release_with_the_path_to_take(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["rehearse", "--path", "0.1.0,0.3.0", "--report-dir", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "skips a release, refused before any DDL" in result.output
    assert "`zdt upgrade --to 0.1.1`" in result.output and "Traceback" not in result.output


def _config(tmp_path: Path, path: tuple[str, ...]) -> RehearsalConfig:
    return RehearsalConfig(
        path=path,
        server_url=os.environ["DATABASE_URL"],
        redis_url=_redis_db1(),
        workdir=tmp_path,
        rows=3_000,
        rate=15,
        phase_seconds=2,
        database_name=DATABASE,
    )


@pytest.mark.timeout(300)
def test_full_path_one_release_at_a_time_has_no_failure_and_keeps_the_data(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path, ("0.1.0", "0.1.1", "0.2.0", "0.3.0"))
    try:
        result = rehearse(config)
    finally:
        drop_database(config.server_url, DATABASE)
    assert result.failed == [], result.failed[:5]
    assert all(check.status == "passed" for check in result.checks), result.checks
    assert [p.name for p in result.phases if p.kind == "migrate"] == [
        "migrate 0.1.1",
        "migrate 0.2.0",
        "migrate 0.3.0",
    ]
    assert {b.status for b in result.background} == {"done"}
    after = [r for r in result.records if r.phase == "after 0.3.0"]
    assert {r.served_release for r in after} == {"0.3.0"}
    assert {r.client_release for r in after} == {"0.2.0", "0.3.0"}, "old clients also sent"


def test_a_path_that_skips_a_release_is_refused_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(RehearsalError, match=r"skips a release, refused before any DDL") as refused:
        rehearse(_config(tmp_path, ("0.1.0", "0.3.0")))
    assert "0.1.0 -> 0.1.1 -> 0.2.0 -> 0.3.0" in str(refused.value)
    assert "--allow-skip" in str(refused.value)
    assert not (tmp_path / "logs").exists()


@pytest.mark.timeout(240)
def test_a_forced_skip_breaks_the_old_release_with_postgresql_errors(tmp_path: Path) -> None:
    config = replace(_config(tmp_path, ("0.1.0", "0.3.0")), allow_skip=True)
    try:
        result = rehearse(config)
    finally:
        drop_database(config.server_url, DATABASE)
    assert result.skip
    baseline = [r for r in result.records if r.phase == "baseline 0.1.0"]
    assert baseline and all(r.ok for r in baseline)
    # The jump goes through every time (the old release only reads while it migrates) ...
    assert result.refusals == []
    failed = result.failed
    assert failed and {r.client_release for r in failed} == {"0.1.0"}
    assert any(r.phase in ("background 0.3.0", "roll 0.3.0") for r in failed)
    # ... and what the old release's server code hit is PostgreSQL's own text.
    assert "column product_product.created does not exist" in result.server_errors
    assert result.integrity_ok
