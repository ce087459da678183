"""How often the p99 target fails with no upgrade at all: the machine's own noise floor.

    .venv/bin/python bench/bench_noise_floor.py                      # one 300-s run, then the table
    .venv/bin/python bench/bench_noise_floor.py --seconds 600 --rows 1000000 --rate 100
    .venv/bin/python bench/bench_noise_floor.py --report reports/<run>/report.json

Runs ``zdt rehearse --path <first release>`` with one long baseline (``--seconds``): traffic at
the rehearsal's rate against the first release, and nothing else: no migration, no worker
busy, no server restarted. Then it judges that traffic as the verdict judges an upgrade's
phases: every 12-s window (``--baseline-seconds``, the rehearsal's default phase) is taken as a
baseline, and the window of each ``--phase-lengths`` that follows it as a phase; a pair fails
when the phase's p99 is over ``--ratio`` (2) times the baseline's (nearest rank, as the
verdict). The share of pairs that fail is how often the verdict would fail that phase on this
machine when the upgrade costs nothing. Windows start every second; pairs overlap, so they
are not independent trials: the share is a rate, not a probability with an error bar.

While the rehearsal runs, the machine's steal time (``/proc/stat``: time the hypervisor gave
this VM's CPUs to someone else) is sampled every second and kept beside the report
(``steal.json``); each 10-s stretch of the traffic is then printed with its requests over
twice the median baseline's p99 and the steal of the same seconds.
"""

from __future__ import annotations

import argparse
import bisect
import json
from datetime import datetime
from pathlib import Path

from benchlib import machine, rehearse, steal_between

from zerodowntime.rehearsal.summary import percentile


def baseline_requests(report: Path) -> list[tuple[float, float]]:
    """Return (scheduled, latency) of the answered requests of the report's baseline, in order."""
    data = json.loads(report.read_text())
    baseline = next(p["name"] for p in data["phases"] if p["kind"] == "baseline")
    return sorted(
        (r["scheduled"], r["latency"])
        for r in data["requests"]
        if r["phase"] == baseline and r["ok"]
    )


def window_p99(requests: list[tuple[float, float]], start: float, seconds: float) -> float:
    """Return the nearest-rank p99 of the requests scheduled in [start, start + seconds)."""
    times = [at for at, _ in requests]
    low, high = bisect.bisect_left(times, start), bisect.bisect_left(times, start + seconds)
    return percentile([latency for _, latency in requests[low:high]], 99)


def baseline_p99s(requests: list[tuple[float, float]], seconds: float) -> list[float]:
    """Return, in ms and sorted, the p99 of every ``seconds`` window starting each second."""
    first, last = requests[0][0], requests[-1][0]
    starts = [first + step for step in range(int(last - first - seconds) + 1)]
    return sorted(window_p99(requests, start, seconds) * 1000 for start in starts)


def failure_share(
    requests: list[tuple[float, float]], baseline_seconds: float, phase_seconds: float, ratio: float
) -> tuple[int, int, float]:
    """Return (pairs judged, pairs failed, worst ratio) of baseline windows and the phase after."""
    first, last = requests[0][0], requests[-1][0]
    judged = failed = 0
    worst = 0.0
    start = first
    while start + baseline_seconds + phase_seconds <= last:
        base = window_p99(requests, start, baseline_seconds)
        phase = window_p99(requests, start + baseline_seconds, phase_seconds)
        judged += 1
        failed += phase > ratio * base
        worst = max(worst, phase / base)
        start += 1.0
    return judged, failed, worst


def print_stretches(report: Path, requests: list[tuple[float, float]], slow: float) -> None:
    """Print each 10-s stretch: its requests over ``slow`` seconds and the steal of its seconds."""
    steal_file = report.parent / "steal.json"
    if not steal_file.exists():
        return
    samples = json.loads(steal_file.read_text())
    began = datetime.fromisoformat(json.loads(report.read_text())["started_at"]).timestamp()
    first = requests[0][0]
    print(f"10-s stretches: requests over {slow * 1000:.1f} ms, steal of the machine's CPU time")
    for start in range(0, int(requests[-1][0] - first), 10):
        steal = steal_between(samples, began + first + start, began + first + start + 10)
        count = sum(
            1
            for at, latency in requests
            if first + start <= at < first + start + 10 and latency > slow
        )
        print(f"  +{start:4d} s: {count:4d} slow, steal {steal:6.1%}")


def main() -> None:
    """Run (or read) one long baseline and print the failure share of each phase length."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="judge this report.json instead of running")
    parser.add_argument("--seconds", type=float, default=300.0, help="length of the baseline run")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--baseline-seconds", type=float, default=12.0)
    parser.add_argument("--phase-lengths", default="3,12,30,120", help="seconds, comma-separated")
    parser.add_argument("--ratio", type=float, default=2.0)
    args = parser.parse_args()
    print(machine())
    one_release = ["--path", "0.1.0", "--rows", str(args.rows), "--rate", str(args.rate)]
    report = args.report or rehearse([*one_release, "--phase-seconds", str(args.seconds)])
    requests = baseline_requests(report)
    span = requests[-1][0] - requests[0][0]
    whole = percentile([latency for _, latency in requests], 99) * 1000
    print(f"{report}: {len(requests)} requests over {span:.0f} s, p99 {whole:.1f} ms")
    bases = baseline_p99s(requests, args.baseline_seconds)
    print(
        f"p99 of each {args.baseline_seconds:g}-s window (a baseline): lowest {bases[0]:.1f},"
        f" median {bases[len(bases) // 2]:.1f}, highest {bases[-1]:.1f} ms"
    )
    print_stretches(report, requests, args.ratio * bases[len(bases) // 2] / 1000)
    for length in (float(x) for x in args.phase_lengths.split(",")):
        judged, failed, worst = failure_share(requests, args.baseline_seconds, length, args.ratio)
        share = failed / judged if judged else 0.0
        print(
            f"phase of {length:g} s after a {args.baseline_seconds:g}-s baseline: {failed} of"
            f" {judged} pairs over {args.ratio:g}x ({share:.0%}), worst {worst:.1f}x"
        )


if __name__ == "__main__":
    main()
