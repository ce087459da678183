"""The report: JSON with every request, and an HTML page that loads nothing from the network."""

from __future__ import annotations

import json
import re
from pathlib import Path

from zerodowntime.rehearsal.orchestrator import RehearsalConfig, RehearsalResult
from zerodowntime.rehearsal.records import CheckResult, LockSample, PhaseRecord, RequestRecord
from zerodowntime.rehearsal.report import write_report


def _result(tmp_path: Path) -> RehearsalResult:
    config = RehearsalConfig(
        path=("0.1.0", "0.3.0"),
        server_url="postgresql://postgres@127.0.0.1:1/x",
        redis_url="redis://127.0.0.1:2/1",
        workdir=tmp_path,
    )
    result = RehearsalResult(config, skip=True, started_at="2026-01-01T00:00:00+00:00")
    result.phases = [
        PhaseRecord("baseline 0.1.0", "baseline", "0.1.0", 0.0, 5.0),
        PhaseRecord("migrate 0.3.0", "migrate", "0.3.0", 5.0, 7.0, {"migration_seconds": 1.9}),
    ]
    result.records = [
        RequestRecord(t / 10, t / 10, t / 10 + 0.02, "baseline 0.1.0", "127.0.0.1:1", "0.1.0",
                      "product", "0.1.0", True)
        for t in range(50)
    ]  # fmt: skip
    result.records.append(
        RequestRecord(5.5, 5.5, 5.6, "migrate 0.3.0", "127.0.0.1:1", "0.1.0", "product",
                      "0.1.0", False, "ConnectError: http://127.0.0.1:1/graphql/ <refused>")
    )  # fmt: skip
    result.lock_samples = [LockSample(6.0, 1, 1, 0.25, "SELECT <x>", "ALTER TABLE")]
    result.checks = [CheckResult("slugs set and unique", CheckResult.PASSED, "no NULL")]
    return result


def test_html_is_self_contained_and_marks_failures_and_locks(tmp_path: Path) -> None:
    json_path, html_path = write_report(_result(tmp_path), tmp_path)
    html = html_path.read_text()
    assert re.search(r"https?://", html) is None
    assert re.search(r"<(script|link|img|iframe)\b", html) is None
    assert "@import" not in html and "url(" not in html
    assert "<svg" in html and html.count('stroke="#d62728"') == 1
    assert 'fill="#ff7f0e"' in html and "lock wait 250 ms" in html
    assert "migrate 0.3.0" in html and "&lt;refused&gt;" in html
    data = json.loads(json_path.read_text())
    assert len(data["requests"]) == 51
    assert data["errors"][0]["count"] == 1 and data["skip"] is True
    assert [row["phase"] for row in data["summary"]] == ["baseline 0.1.0", "migrate 0.3.0", "total"]
    assert "server_url" not in data["config"]
