"""Per-phase statistics."""

from __future__ import annotations

from zerodowntime.rehearsal.records import LockSample, PhaseRecord, RequestRecord
from zerodowntime.rehearsal.summary import percentile, phase_stats


def _request(phase: str, at: float, latency: float, ok: bool = True) -> RequestRecord:
    return RequestRecord(at, at, at + latency, phase, "s", "1", "op", "1", ok)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([], 99) == 0


def test_phase_stats_split_requests_and_lock_waits_by_phase() -> None:
    phases = [PhaseRecord("a", "baseline", "1", 0, 10), PhaseRecord("b", "migrate", "2", 10, 12)]
    records = [_request("a", t, 0.01) for t in range(10)] + [
        _request("b", 10.5, 0.4),
        _request("b", 11, 0.02, ok=False),
    ]
    locks = [LockSample(11.0, 2, 1, 0.35, "SELECT 1", "ALTER TABLE")]
    stats = {s.name: s for s in phase_stats(phases, records, locks)}
    assert (stats["a"].requests, stats["a"].failed, stats["a"].longest_lock_wait) == (10, 0, 0)
    assert (stats["b"].requests, stats["b"].failed) == (2, 1)
    assert abs(stats["b"].max - 0.4) < 1e-9 and stats["b"].longest_lock_wait == 0.35
    assert stats["total"].requests == 12 and stats["total"].failed == 1
