"""The report: JSON with every request and the verdict, an HTML page that loads nothing.

The page is opened in headless Chromium: the verdict is read from its DOM, and a screenshot is
taken (kept in the test's temporary directory).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

from tests.browser import dump_dom, screenshot
from zerodowntime.rehearsal.orchestrator import RehearsalConfig, RehearsalResult
from zerodowntime.rehearsal.records import (
    CheckResult,
    FaultRecord,
    LockSample,
    PhaseRecord,
    RequestRecord,
)
from zerodowntime.rehearsal.report import verdict_of, write_report
from zerodowntime.rehearsal.verdict import Targets

PHASES = [
    ("baseline 0.1.0", "baseline", 0.0, 10.0, {}),
    ("migrate 0.1.1", "migrate", 10.0, 13.0,
     {"stop_workers_seconds": 0.4, "migration_seconds": 2.1}),
    ("background 0.1.1", "background", 13.0, 16.0, {"background_seconds": 2.9}),
    ("roll 0.1.1", "roll", 16.0, 18.0, {}),
    ("after 0.1.1", "after", 18.0, 25.0, {}),
]  # fmt: skip


def _request(at: float, phase: str, latency: float, error: str | None = None) -> RequestRecord:
    return RequestRecord(at, at, at + latency, phase, "127.0.0.1:1", "0.1.0", "product",
                         "0.1.0", error is None, error)  # fmt: skip


def _result(tmp_path: Path, *, skip: bool = False, slow_ms: float = 60.0) -> RehearsalResult:
    """Return a run of 250 requests, 20 ms each but ``slow_ms`` for a few in the migration."""
    config = RehearsalConfig(
        path=("0.1.0", "0.3.0") if skip else ("0.1.0", "0.1.1"),
        server_url="postgresql://postgres@127.0.0.1:1/x",
        redis_url="redis://127.0.0.1:2/1",
        workdir=tmp_path,
    )
    result = RehearsalResult(config, skip=skip, started_at="2026-01-01T00:00:00+00:00")
    result.phases = [PhaseRecord(n, k, "0.1.1", a, b, d) for n, k, a, b, d in PHASES]
    for tenth in range(250):
        at = tenth / 10
        phase = next(p for p in result.phases if p.started <= at < (p.ended or 0))
        slow = phase.kind == "migrate" and tenth % 5 == 0
        result.records.append(_request(at, phase.name, (slow_ms if slow else 20) / 1000))
    result.lock_samples = [LockSample(11.0, 1, 1, 0.25, "SELECT <x>", "ALTER TABLE")]
    result.checks = [CheckResult("slugs set and unique", CheckResult.PASSED, "no NULL")]
    return result


def _fail_one(result: RehearsalResult) -> None:
    result.records[110] = _request(
        11.0, "migrate 0.1.1", 0.1, "ConnectError: http://127.0.0.1:1/graphql/ <refused>"
    )


def test_html_is_self_contained_and_marks_failures_and_locks(tmp_path: Path) -> None:
    result = _result(tmp_path, skip=True)
    _fail_one(result)
    result.config = replace(result.config, database_work_niceness=10)
    result.lowered_statements = ["3 × CREATE INDEX CONCURRENTLY product_slug"]
    json_path, html_path = write_report(result, tmp_path)
    html = html_path.read_text()
    lowered = re.search(r'<p class="note" id="lowered">(.*?)</p>', html, re.S)
    assert lowered is not None and "niceness\n10 while" in lowered.group(1)
    assert "3 × CREATE INDEX CONCURRENTLY product_slug." in lowered.group(1)
    assert re.search(r"https?://", html) is None
    assert re.search(r"<(script|link|img|iframe)\b", html) is None
    assert "@import" not in html and "url(" not in html
    assert "<svg" in html and html.count('stroke="#d62728" stroke-width="1.5"') == 1
    assert 'fill="#ff7f0e"' in html and "lock wait 250 ms" in html
    assert "migrate 0.1.1" in html and "&lt;refused&gt;" in html
    data = json.loads(json_path.read_text())
    assert len(data["requests"]) == 250
    assert data["errors"][0]["count"] == 1 and data["skip"] is True
    assert [row["phase"] for row in data["summary"]] == [p[0] for p in PHASES] + ["total"]
    assert "server_url" not in data["config"]
    assert data["lowered_statements"] == ["3 × CREATE INDEX CONCURRENTLY product_slug"]
    assert "<th>steal %</th>" in html and "cpu_at_start" not in data["phases"][0]


def test_json_holds_the_targets_and_each_measurement(tmp_path: Path) -> None:
    json_path, _ = write_report(_result(tmp_path, slow_ms=700), tmp_path)
    verdict = json.loads(json_path.read_text())["verdict"]
    assert verdict["outcome"] == "FAILED"
    assert verdict["targets"] == {
        "max_failed": 0, "max_latency_ms": 500.0, "p99_ratio": 2.0, "integrity": True
    }  # fmt: skip
    measured = {r["name"]: (r["measured"], r["met"]) for r in verdict["results"]}
    assert measured["max latency"] == ("700 ms", False)
    p99_of_migrate = "35.0× (700 ms; 6 of 30 requests over 40 ms, 0 allowed)"
    assert measured["p99 of migrate 0.1.1"] == (p99_of_migrate, False)
    p99_of_background = "1.0× (20 ms; 0 of 30 requests over 40 ms, 0 allowed)"
    assert measured["p99 of background 0.1.1"] == (p99_of_background, True)
    assert measured["failed requests"] == ("0 of 250", True)


def test_the_page_in_chromium_says_passed_and_shows_the_tables_that_agree(tmp_path: Path) -> None:
    _, html_path = write_report(_result(tmp_path, slow_ms=30), tmp_path)
    dom = dump_dom(html_path.as_uri())
    assert re.search(r'id="verdict">PASSED<', dom)
    # The timeline: numbered seconds on the x axis, and a legend of the phase shading.
    assert all(f">{tick}</text>" in dom for tick in ("0", "5", "10", "20"))
    for kind in ("baseline", "migrate", "background", "roll", "after"):
        assert f"{kind} (" in dom
    # The migration's row: 3.0 s in the phase table and in the migration table.
    assert "<td>migrate 0.1.1</td><td>3.0</td>" in dom
    assert "<td>migrate 0.1.1</td><td>3.0</td><td>0.4</td><td>2.1</td><td></td><td>0.5</td>" in dom
    assert "Defaults: 0 failed requests, every integrity check, max\nlatency 500 ms" in dom
    screenshot(html_path.as_uri(), tmp_path / "passed.png")


def test_the_page_in_chromium_names_the_targets_missed(tmp_path: Path) -> None:
    _, html_path = write_report(_result(tmp_path, slow_ms=700), tmp_path)
    dom = dump_dom(html_path.as_uri())
    assert 'id="verdict">FAILED: max latency, p99 of migrate 0.1.1<' in dom
    picture = screenshot(html_path.as_uri(), tmp_path / "failed.png")
    assert picture.stat().st_size > 20_000, "the screenshot is blank"


def test_a_forced_skip_is_an_expected_failure_unless_the_data_broke(tmp_path: Path) -> None:
    result = _result(tmp_path, skip=True)
    _fail_one(result)
    _, html_path = write_report(result, tmp_path)
    assert 'id="verdict">EXPECTED FAILURE: 1 request failed<' in dump_dom(html_path.as_uri())
    result.checks.append(CheckResult("acknowledged creates present", CheckResult.FAILED, "1 lost"))
    _, html_path = write_report(result, tmp_path / "broken")
    assert 'id="verdict">FAILED: integrity, failed requests' in html_path.read_text()


def test_targets_are_overridable(tmp_path: Path) -> None:
    from zerodowntime.rehearsal.report import verdict_of

    result = _result(tmp_path, slow_ms=700)
    assert verdict_of(result).headline == "FAILED: max latency, p99 of migrate 0.1.1"
    relaxed = Targets(max_latency_ms=1000, p99_ratio=40)
    assert verdict_of(result, relaxed).headline == "PASSED"
    _fail_one(result)
    assert verdict_of(result, relaxed).headline == "FAILED: failed requests"
    tolerant = Targets(max_failed=1, max_latency_ms=1000, p99_ratio=40)
    assert verdict_of(result, tolerant).headline == "PASSED"


def test_failures_inside_a_fault_window_are_counted_apart_and_drawn(tmp_path: Path) -> None:
    result = _result(tmp_path, slow_ms=30)
    _fail_one(result)  # at 11.0 s
    result.records[200] = _request(20.0, "after 0.1.1", 2.0, "ReadTimeout")
    result.faults = [FaultRecord("kill_server", "0.1.1", 10.9, 11.5, "SIGKILL 02-web")]
    outside = verdict_of(result)
    assert outside.headline == (
        "FAILED: failed requests outside fault windows, max latency outside fault windows"
    )
    result.records[200] = _request(20.0, "after 0.1.1", 0.02)
    inside = verdict_of(result)
    assert inside.headline == "PASSED"
    counted = {r.name: r.measured for r in inside.results}
    assert counted["failed requests inside fault windows"] == "1"
    assert counted["failed requests outside fault windows"] == "0 of 243"  # 7 in flight
    _, html = write_report(result, tmp_path, inside)
    page = html.read_text()
    assert page.count('class="fault"') == 1 and ">F1<" in page
    assert "kill_server (0.1.1)" in page and "SIGKILL 02-web" in page
    faults = json.loads((tmp_path / "report.json").read_text())["faults"]
    assert [(f["name"], f["failed_inside"]) for f in faults] == [("kill_server (0.1.1)", 1)]
