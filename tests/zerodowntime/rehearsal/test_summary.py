"""Per-phase statistics."""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Console

from zerodowntime.rehearsal.probes import LockProbe
from zerodowntime.rehearsal.records import LockSample, PhaseRecord, RequestRecord
from zerodowntime.rehearsal.summary import LiveProgress, percentile, phase_stats
from zerodowntime.rehearsal.traffic import OpenLoopTraffic, Rotation


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


def test_each_phase_keeps_its_cpu_steal_and_the_total_weighs_them_by_length() -> None:
    phases = [
        PhaseRecord("warm-up 1", "warm-up", "1", 0, 5, cpu_steal=0.5),
        PhaseRecord("baseline 1", "baseline", "1", 5, 15, cpu_steal=0.02),
        PhaseRecord("migrate 2", "migrate", "2", 15, 45, cpu_steal=0.1),
        PhaseRecord("after 2", "after", "2", 45, 50),
    ]
    stats = {s.name: s for s in phase_stats(phases, [], [])}
    assert stats["migrate 2"].cpu_steal == 0.1
    assert stats["migrate 2"].as_dict()["cpu_steal_pct"] == 10.0
    assert stats["after 2"].as_dict()["cpu_steal_pct"] is None
    assert stats["after 2"].steal_cell() == ""
    # 10 s at 2 % and 30 s at 10 %: 8 %; the warm-up and the unknown phase are left out.
    assert stats["total"].as_dict()["cpu_steal_pct"] == 8.0


def test_the_total_leaves_the_warm_up_out() -> None:
    phases = [
        PhaseRecord("warm-up 1", "warm-up", "1", 0, 5),
        PhaseRecord("baseline 1", "baseline", "1", 5, 15),
    ]
    records = [_request("warm-up 1", 0.1, 0.9), _request("warm-up 1", 0.2, 0.01, ok=False)]
    records += [_request("baseline 1", 5 + t, 0.02) for t in range(10)]
    locks = [LockSample(1.0, 1, 1, 0.3, "SELECT 1", "ALTER TABLE")]
    stats = {s.name: s for s in phase_stats(phases, records, locks)}
    assert (stats["warm-up 1"].requests, stats["warm-up 1"].failed) == (2, 1)
    total = stats["total"]
    assert (total.requests, total.failed, total.seconds) == (10, 0, 10)
    assert abs(total.max - 0.02) < 1e-9 and total.longest_lock_wait == 0


def test_live_progress_prints_each_phase_row_as_the_phase_ends() -> None:
    console = Console(record=True, width=140)
    progress = LiveProgress(console)
    traffic = OpenLoopTraffic(rate=1, rotation=Rotation(), state=None, clock=lambda: 0.0)
    probe = LockProbe("postgresql://127.0.0.1:1/none", clock=lambda: 0.0)
    baseline = PhaseRecord("baseline 1", "baseline", "1", 0.0)
    progress.phase(baseline)
    progress.started(traffic, probe)
    traffic.records += [_request("baseline 1", t / 10, 0.012) for t in range(20)]
    baseline.ended = 2.0
    migrate = PhaseRecord("migrate 2", "migrate", "2", 2.0)
    progress.phase(migrate)
    lines = console.export_text().splitlines()
    assert not any(line.startswith("migrate 2") for line in lines), "printed before it ended"
    row = next(line for line in lines if line.startswith("baseline 1"))
    assert row.split() == ["baseline", "1", "2.0", "20", "0", "12", "12", "12", "12", "0"]
    traffic.records += [_request("migrate 2", 2.5, 0.3, ok=False)]
    migrate.ended = 3.0
    progress.finished()
    lines = console.export_text().splitlines()
    migrate_row = next(line for line in lines if line.startswith("migrate 2"))
    assert migrate_row.split()[2:5] == ["1.0", "1", "1"]


class CountingList(list[RequestRecord]):
    """A list that counts the records handed out, by iteration or by slice."""

    handed_out = 0

    def __iter__(self) -> Iterator[RequestRecord]:
        CountingList.handed_out += len(self)
        return super().__iter__()

    def __getitem__(self, index):  # list's overloads, untyped here
        item = super().__getitem__(index)
        CountingList.handed_out += len(item) if isinstance(index, slice) else 1
        return item


def test_live_progress_reads_each_record_once_however_many_phases_end() -> None:
    console = Console(record=True, width=140)
    progress = LiveProgress(console)
    traffic = OpenLoopTraffic(rate=1, rotation=Rotation(), state=None, clock=lambda: 0.0)
    traffic.records = CountingList()
    probe = LockProbe("postgresql://127.0.0.1:1/none", clock=lambda: 0.0)
    progress.started(traffic, probe)
    CountingList.handed_out = 0
    phases = [PhaseRecord(f"phase {n}", "migrate", "1", float(n)) for n in range(5)]
    for n, phase in enumerate(phases):
        progress.phase(phase)
        traffic.records += [_request(phase.name, n + t / 100, 0.001 * (t + 1)) for t in range(100)]
        phase.ended = n + 1.0
    # A phase's late answer, recorded after its row was printed, is not counted in it.
    last = PhaseRecord("last", "after", "1", 5.0)
    progress.phase(last)
    traffic.records.append(_request("phase 4", 4.99, 5.0))
    last.ended = 6.0
    progress.finished()
    assert CountingList.handed_out == 501
    rows = [line.split() for line in console.export_text().splitlines() if line.startswith("phase")]
    expected = [["phase", str(n), "100", "0"] for n in range(5)]
    assert [row[:2] + row[3:5] for row in rows[1:]] == expected
    assert all(row[-2] == "100" for row in rows[1:])  # max 100 ms, not the late 5 s
