"""What printing a phase's row costs the rehearsal's process, where the load generator runs too.

    .venv/bin/python bench/bench_live_progress.py [--requests 50000]

A run of ``--requests`` synthetic requests, the last phase holding 70 % of them (a long
backfill), is timed two ways at that phase's end: a pass over every record with
``phase_stats`` (the phase's row and the run's total, as the live progress did before
f4718fa), and the live progress as it is (records tallied as they come, then the phase's own
row). The load generator's thread waits for the interpreter while either runs.
"""

from __future__ import annotations

import argparse
import random
import time
from io import StringIO

from benchlib import machine
from rich.console import Console

from zerodowntime.rehearsal.records import PhaseRecord, RequestRecord
from zerodowntime.rehearsal.summary import LiveProgress, phase_stats

ROUNDS = 5


class Traffic:
    """A finished run's records, as the live progress reads them."""

    def __init__(self, records: list[RequestRecord]) -> None:
        self.records = records
        self.scheduled = len(records)
        self.failed = 0

    def in_flight(self) -> int:
        return 0


def synthetic_run(requests: int) -> tuple[list[RequestRecord], PhaseRecord]:
    """Return ``requests`` records at 100/s and the last phase (70 % of them), ended."""
    rng = random.Random(0)
    split = int(requests * 0.3)
    records = []
    for number in range(requests):
        at = number / 100
        phase = "after 0.1.0" if number < split else "background 0.1.1"
        latency = rng.lognormvariate(-4.6, 0.4)
        records.append(RequestRecord(at, at, at + latency, phase, "s", "1", "product", "1", True))
    last = PhaseRecord("background 0.1.1", "background", "0.1.1", split / 100, requests / 100)
    return records, last


def whole_pass_ms(records: list[RequestRecord], last: PhaseRecord) -> float:
    """Time the earlier way: the phase's row and the total from a pass over every record."""
    began = time.perf_counter()
    phase_stats([last], list(records), [])
    return (time.perf_counter() - began) * 1000


def tallied_ms(records: list[RequestRecord], last: PhaseRecord) -> float:
    """Time today's way at the phase's end: the last records tallied, then the phase's row.

    The records before them were tallied as they came (every 0.25 s, outside this timing).
    """
    progress = LiveProgress(Console(file=StringIO()))
    progress.traffic = Traffic(records[:-25])
    progress._tally_new_records()
    progress.traffic.records = records
    progress.open = last
    began = time.perf_counter()
    progress._phase_ended()
    return (time.perf_counter() - began) * 1000


def main() -> None:
    """Print the median cost of each way at the end of the long phase."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50_000)
    requests = parser.parse_args().requests
    records, last = synthetic_run(requests)
    print(machine())
    before = sorted(whole_pass_ms(records, last) for _ in range(ROUNDS))[ROUNDS // 2]
    after = sorted(tallied_ms(records, last) for _ in range(ROUNDS))[ROUNDS // 2]
    phase = requests - int(requests * 0.3)
    print(f"{requests} requests, at the end of a phase of {phase}, median of {ROUNDS}:")
    print(f"  a pass over every record {before:.1f} ms; the tallied phase's row {after:.1f} ms")


if __name__ == "__main__":
    main()
