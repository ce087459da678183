"""Where a rehearsal's slow requests fall: in the seconds the hypervisor steals CPU, or not.

    .venv/bin/python bench/bench_rehearsal_steal.py                  # the whole upgrade path
    .venv/bin/python bench/bench_rehearsal_steal.py --rows 1000000 --rate 100 [--faults]
    .venv/bin/python bench/bench_rehearsal_steal.py --report <dir>/<run>/report.json

Runs ``zdt rehearse`` while sampling the machine's steal time every second (``benchlib.rehearse``,
as ``bench_noise_floor.py`` does), cuts the run into stretches of ``--stretch`` seconds and prints
each with its phase, its requests over twice the baseline's p99 and its steal; then the share
of slow requests in the stretches at or over ``--steal`` (5 %) and in the others.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path

from benchlib import machine, rehearse, steal_between


def stretches(report: Path, seconds: float) -> list[tuple[float, str, int, int, float]]:
    """Return (start, phase, requests, slow requests, steal) of each stretch of the run."""
    data = json.loads(report.read_text())
    samples = json.loads((report.parent / "steal.json").read_text())
    began = datetime.fromisoformat(data["started_at"]).timestamp()
    baseline = next(row for row in data["summary"] if row["kind"] == "baseline")
    slow = 2 * baseline["p99_ms"] / 1000
    answered = [r for r in data["requests"] if r["ok"]]
    first, last = min(r["scheduled"] for r in answered), max(r["scheduled"] for r in answered)
    rows = []
    start = first
    while start + seconds <= last:
        steal = steal_between(samples, began + start, began + start + seconds)
        sent = [r for r in answered if start <= r["scheduled"] < start + seconds]
        middle = start + seconds / 2
        phase = next(
            (p["name"] for p in data["phases"] if p["started"] <= middle <= (p["ended"] or 1e9)),
            "",
        )
        rows.append((start, phase, len(sent), sum(r["latency"] > slow for r in sent), steal))
        start += seconds
    return rows


def main() -> None:
    """Run (or read) a rehearsal and print its stretches and the two shares."""
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
    rows = stretches(report, args.stretch)
    for start, phase, sent, slow, steal in rows:
        print(f"  +{start:6.1f} s  {phase:<20} {slow:4d} of {sent:4d} slow, steal {steal:6.1%}")
    for label, group in (
        (f"steal >= {args.steal:.0%}", [r for r in rows if r[4] >= args.steal]),
        (f"steal <  {args.steal:.0%}", [r for r in rows if r[4] < args.steal]),
    ):
        sent, slow = sum(r[2] for r in group), sum(r[3] for r in group)
        share = slow / sent * 1000 if sent else 0.0
        print(f"{label}: {len(group)} stretches, {slow} of {sent} requests slow ({share:.1f} ‰)")


if __name__ == "__main__":
    main()
