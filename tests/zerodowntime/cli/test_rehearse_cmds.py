"""``zdt rehearse`` exits non-zero exactly when its verdict is FAILED, naming the targets missed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from zerodowntime.cli.main import cli
from zerodowntime.scratch import drop_database


@pytest.mark.timeout(180)
def test_a_missed_target_fails_the_command_and_is_named(tmp_path: Path) -> None:
    import os

    args = ["rehearse", "--path", "0.1.0", "--rows", "300", "--rate", "10", "--phase-seconds",
            "2", "--warm-up-seconds", "1", "--report-dir", str(tmp_path),
            "--max-latency-ms", "0.01"]  # fmt: skip
    try:
        result = CliRunner().invoke(cli, args)
    finally:
        drop_database(os.environ["DATABASE_URL"], "zdt_rehearsal")
    assert result.exit_code == 1, result.output
    assert "FAILED: max latency" in result.output and "Traceback" not in result.output
    assert "target missed: max latency:" in result.output
    assert "baseline 0.1.0" in result.output.split("phase: baseline 0.1.0", 1)[1], "no phase row"
    (report,) = tmp_path.glob("rehearsal-*/report.json")
    verdict = json.loads(report.read_text())["verdict"]
    assert verdict["outcome"] == "FAILED" and verdict["targets"]["max_latency_ms"] == 0.01
    # The first second of traffic warmed the servers: a phase of its own, before the baseline.
    phases = json.loads(report.read_text())["phases"]
    assert [p["kind"] for p in phases] == ["warm-up", "baseline"]
    assert phases[0]["ended"] - phases[0]["started"] >= 1


def test_a_database_that_does_not_answer_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zerodowntime.services import free_port

    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/zdt")
    args = ["rehearse", "--path", "0.1.0", "--rows", "10", "--report-dir", str(tmp_path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "cannot connect to PostgreSQL: connection failed" in result.output
    assert "Is the server running?" in result.output and "Traceback" not in result.output
