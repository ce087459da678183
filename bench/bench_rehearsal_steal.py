"""Where a rehearsal's slow requests fall: in the seconds the hypervisor steals CPU, or not.

    .venv/bin/python bench/bench_rehearsal_steal.py                  # the whole upgrade path
    .venv/bin/python bench/bench_rehearsal_steal.py --rows 1000000 --rate 100 [--faults]
    .venv/bin/python bench/bench_rehearsal_steal.py --report <dir>/<run>/report.json

Runs ``zdt rehearse`` while sampling the machine's steal time every second (``benchlib.rehearse``,
as ``bench_noise_floor.py`` does), cuts the run into stretches of ``--stretch`` seconds and prints
each with its phase, its requests over twice the baseline's p99 and its steal; then the share
of slow requests in the stretches at or over ``--steal`` (5 %) and in the others. Last, each
judged phase as the verdict judges it (outside fault windows), beside the same phase judged on
its stretches under ``--steal`` alone, and against the quiet phase before it (the baseline, or
the ``after`` phase of the upgrade before): what the verdict would say if stolen time were left
out, or if the baseline were taken again before each upgrade.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from benchlib import machine, rehearse, steal_between

from zerodowntime.rehearsal.records import FaultRecord, RequestRecord, in_fault_window
from zerodowntime.rehearsal.summary import percentile
from zerodowntime.rehearsal.verdict import JUDGED_KINDS

# The phases with no upgrade work: the baseline, and the one after each upgrade's roll.
QUIET_KINDS = ("baseline", "after")

REQUEST_FIELDS = set(RequestRecord.__dataclass_fields__)
FAULT_FIELDS = set(FaultRecord.__dataclass_fields__)


@dataclass
class Run:
    """A rehearsal's report and the steal samples beside it, read once."""

    data: dict[str, Any]
    samples: list[list[float]]
    began: float  # the run's start, epoch seconds
    first: float  # when the first answered request was scheduled, seconds into the run
    _steal: dict[tuple[int, float], float] = field(default_factory=dict)

    @classmethod
    def read(cls, report: Path) -> Run:
        """Read ``report`` and its ``steal.json``."""
        data = json.loads(report.read_text())
        samples = json.loads((report.parent / "steal.json").read_text())
        began = datetime.fromisoformat(data["started_at"]).timestamp()
        first = min(r["scheduled"] for r in data["requests"] if r["ok"])
        return cls(data, samples, began, first)

    def stretch_steal(self, index: int, seconds: float) -> float:
        """Return the steal of stretch ``index`` (stretches of ``seconds`` from ``first``)."""
        key = (index, seconds)
        if key not in self._steal:
            low = self.began + self.first + index * seconds
            self._steal[key] = steal_between(self.samples, low, low + seconds)
        return self._steal[key]


def stretches(run: Run, seconds: float) -> list[tuple[float, str, int, int, float]]:
    """Return (start, phase, requests, slow requests, steal) of each stretch of the run."""
    data = run.data
    baseline = next(row for row in data["summary"] if row["kind"] == "baseline")
    slow = 2 * baseline["p99_ms"] / 1000
    answered = [r for r in data["requests"] if r["ok"]]
    last = max(r["scheduled"] for r in answered)
    rows = []
    index, start = 0, run.first
    while start + seconds <= last:
        sent = [r for r in answered if start <= r["scheduled"] < start + seconds]
        middle = start + seconds / 2
        phase = next(
            (p["name"] for p in data["phases"] if p["started"] <= middle <= (p["ended"] or 1e9)),
            "",
        )
        steal = run.stretch_steal(index, seconds)
        rows.append((start, phase, len(sent), sum(r["latency"] > slow for r in sent), steal))
        index, start = index + 1, start + seconds
    return rows


@dataclass(frozen=True)
class JudgedPhase:
    """A phase's p99 as the verdict takes it, on its calm stretches, and its quiet reference.

    ``reference`` is the p99 of the last quiet phase before it (the baseline, or the ``after``
    phase of the upgrade before): a baseline taken again before each upgrade.
    """

    name: str
    kind: str
    requests: int
    p99: float
    calm_requests: int
    calm_p99: float
    reference: str
    reference_p99: float


def judged_phases(run: Run, seconds: float, limit: float) -> list[JudgedPhase]:
    """Return the baseline, each judged phase and each ``after`` phase of the run, in order.

    The requests are those the verdict judges: every one of the phase (failed ones too) outside
    the faults' windows. A request's steal is that of its stretch (as ``stretches`` cuts them);
    the calm ones are those under ``limit``.
    """
    data = run.data
    faults = [
        FaultRecord(**{k: v for k, v in f.items() if k in FAULT_FIELDS}) for f in data["faults"]
    ]
    records = [
        RequestRecord(**{k: v for k, v in r.items() if k in REQUEST_FIELDS})
        for r in data["requests"]
    ]

    def stolen(record: RequestRecord) -> float:
        return run.stretch_steal(int((record.scheduled - run.first) // seconds), seconds)

    rows: list[JudgedPhase] = []
    reference, reference_p99 = "", 0.0
    for phase in data["phases"]:
        if phase["kind"] not in (*JUDGED_KINDS, *QUIET_KINDS):
            continue
        judged = [r for r in records if r.phase == phase["name"] and not in_fault_window(r, faults)]
        calm = [r.latency for r in judged if stolen(r) < limit]
        p99 = percentile([r.latency for r in judged], 99)
        rows.append(
            JudgedPhase(
                phase["name"],
                phase["kind"],
                len(judged),
                p99,
                len(calm),
                percentile(calm, 99),
                reference or phase["name"],
                reference_p99 or p99,
            )
        )
        if phase["kind"] in QUIET_KINDS:
            reference, reference_p99 = phase["name"], p99
    return rows


def main() -> None:
    """Run (or read) a rehearsal; print its stretches, the two shares and its judged phases."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="read this report.json (with steal.json)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--faults", action="store_true", help="rehearse with --faults")
    parser.add_argument("--stretch", type=float, default=5.0, help="seconds per stretch")
    parser.add_argument("--steal", type=float, default=0.05, help="share that counts as stolen")
    args = parser.parse_args()
    print(machine())
    arguments = ["--rows", str(args.rows), "--rate", str(args.rate)]
    report = args.report or rehearse(arguments + (["--faults"] if args.faults else []))
    run = Run.read(report)
    rows = stretches(run, args.stretch)
    for start, phase, sent, slow, steal in rows:
        print(f"  +{start:6.1f} s  {phase:<20} {slow:4d} of {sent:4d} slow, steal {steal:6.1%}")
    for label, group in (
        (f"steal >= {args.steal:.0%}", [r for r in rows if r[4] >= args.steal]),
        (f"steal <  {args.steal:.0%}", [r for r in rows if r[4] < args.steal]),
    ):
        sent, slow = sum(r[2] for r in group), sum(r[3] for r in group)
        share = slow / sent * 1000 if sent else 0.0
        print(f"{label}: {len(group)} stretches, {slow} of {sent} requests slow ({share:.1f} ‰)")
    phases = judged_phases(run, args.stretch, args.steal)
    baseline = phases[0].p99
    print(
        f"each judged phase: against the baseline, on its stretches under {args.steal:.0%} steal"
        " alone, and against the quiet phase before it (the baseline taken again):"
    )
    for row in phases:
        if row.kind not in JUDGED_KINDS:
            print(f"  {row.name:<20} {row.requests:6d} requests, p99 {row.p99 * 1000:5.1f} ms")
            continue
        whole = (
            f"{row.requests:6d} requests, p99 {row.p99 * 1000:5.1f} ms ({row.p99 / baseline:4.2f}×)"
        )
        calm = (
            f"{row.calm_requests:6d}, p99 {row.calm_p99 * 1000:5.1f} ms"
            f" ({row.calm_p99 / baseline:4.2f}×)"
            if row.calm_requests
            else "  none"
        )
        again = f"{row.p99 / row.reference_p99:4.2f}× {row.reference}"
        print(f"  {row.name:<20} {whole}   calm: {calm}   {again}")


if __name__ == "__main__":
    main()
