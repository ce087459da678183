"""The verdict: the warm-up's failures count, its latencies are not judged."""

from __future__ import annotations

from zerodowntime.rehearsal.records import PhaseRecord, RequestRecord
from zerodowntime.rehearsal.summary import phase_stats
from zerodowntime.rehearsal.verdict import Outcome, Targets, judge

PHASES = [
    PhaseRecord("warm-up 1", "warm-up", "1", 0, 5),
    PhaseRecord("baseline 1", "baseline", "1", 5, 15),
]


def _request(phase: str, at: float, latency: float, ok: bool = True) -> RequestRecord:
    return RequestRecord(at, at, at + latency, phase, "s", "1", "op", "1", ok)


def _baseline() -> list[RequestRecord]:
    return [_request("baseline 1", 5 + t / 10, 0.02) for t in range(100)]


def test_a_slow_warm_up_is_not_judged() -> None:
    records = [_request("warm-up 1", 0.1, 0.9)] + _baseline()
    verdict = judge(phase_stats(PHASES, records, []), [], Targets())
    assert verdict.outcome is Outcome.PASSED, verdict.headline


def test_a_failure_in_the_warm_up_fails_the_rehearsal() -> None:
    records = [_request("warm-up 1", 0.1, 0.01, ok=False)] + _baseline()
    verdict = judge(phase_stats(PHASES, records, []), [], Targets())
    assert verdict.outcome is Outcome.FAILED
    failed = next(r for r in verdict.results if r.name == "failed requests")
    assert failed.measured == "1 of 101"


def test_a_slow_baseline_request_is_judged() -> None:
    records = _baseline() + [_request("baseline 1", 14.5, 0.9)]
    verdict = judge(phase_stats(PHASES, records, []), [], Targets())
    assert verdict.headline == "FAILED: max latency"
