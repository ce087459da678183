"""Run a rehearsal and show, phase by phase, how long each kind of process waited for a CPU.

    .venv/bin/python bench/bench_run_queue.py --rows 1000000 --rate 100 [more zdt rehearse flags]

Every 0.2 s it reads the kernel's scheduler statistics of each thread on the machine
(``/proc/<pid>/task/<tid>/schedstat``: time on a CPU, time runnable but waiting for one), sums
them by kind of process (the app servers, PostgreSQL, the workers, ``zdt migrate``, the
rehearsal itself) and, once the rehearsal is over, prints each phase's CPU and run-queue wait as
a percentage of one core. An app server that waits for a CPU as long as it runs doubles its
latency. The rehearsal's output and report go to the report directory it prints.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

INTERVAL = 0.2
KINDS = (
    ("gunicorn", "gunicorn"),
    ("celery", "celery"),
    ("main() migrate", "migrate"),
    ("zdt rehearse", "rehearsal"),
    ("postgres: io worker", "pg-io"),
    ("postgres: walwriter", "pg-aux"),
    ("postgres: checkpointer", "pg-aux"),
    ("postgres: background writer", "pg-aux"),
    ("postgres: autovacuum", "pg-aux"),
    ("pginstall/bin/postgres", "postgres"),
    ("postgres:", "postgres"),
)
# The log line that starts the phase ``migrate <second release>``: its wall time anchors the
# report's phase times (seconds from the rehearsal's own clock) to the samples' wall times.
ANCHOR = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) INFO zerodowntime.deploy:"
    r" step 1/5: stop the workers"
)


def kind_of(pid: str) -> str | None:
    """Return the kind of process ``pid`` is, from its command line (not ours: ``None``)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, UnicodeDecodeError):
        return None
    for needle, kind in KINDS:
        if needle in command:
            return kind
    return None


class Sampler(threading.Thread):
    """Sum each kind's CPU and run-queue nanoseconds per interval, until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, dict[str, tuple[int, int]]]] = []
        self.stopped = threading.Event()
        self._last: dict[tuple[str, str], tuple[int, int]] = {}

    def run(self) -> None:
        while not self.stopped.is_set():
            started = time.time()
            totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for pid in filter(str.isdigit, os.listdir("/proc")):
                kind = kind_of(pid)
                if kind is None:
                    continue
                try:
                    threads = os.listdir(f"/proc/{pid}/task")
                except OSError:
                    continue
                for tid in threads:
                    try:
                        cpu, wait, _ = Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()
                    except (OSError, ValueError):
                        continue
                    now = (int(cpu), int(wait))
                    before = self._last.get((pid, tid), now)
                    self._last[(pid, tid)] = now
                    totals[kind][0] += now[0] - before[0]
                    totals[kind][1] += now[1] - before[1]
            self.samples.append((started, {k: (v[0], v[1]) for k, v in totals.items()}))
            self.stopped.wait(max(0.0, INTERVAL - (time.time() - started)))


def phase_windows(report: Path, console: str) -> list[tuple[str, float, float]]:
    """Return each phase's name and wall-clock start and end."""
    data = json.loads((report / "report.json").read_text())
    anchor = next(m for m in map(ANCHOR.match, console.splitlines()) if m)
    wall = dt.datetime.strptime(anchor[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    anchored = wall.timestamp() + int(anchor[2]) / 1000
    second = data["config"]["path"][1]
    phases = data["phases"]
    origin = next(p["started"] for p in phases if p["name"] == f"migrate {second}")
    offset = anchored - origin
    return [(p["name"], p["started"] + offset, p["ended"] + offset) for p in phases]


def main() -> None:
    """Run ``zdt rehearse`` with this script's arguments while sampling; print the table."""
    zdt = Path(sys.executable).parent / "zdt"
    sampler = Sampler()
    sampler.start()
    completed = subprocess.run(
        [str(zdt), "rehearse", *sys.argv[1:]], capture_output=True, text=True, check=False
    )
    sampler.stopped.set()
    sampler.join()
    found = re.search(r"report: (\S+)/report.html", completed.stdout)
    if found is None:
        sys.exit(f"the rehearsal wrote no report:\n{completed.stdout[-3000:]}{completed.stderr}")
    report = Path(found[1])
    (report / "console.log").write_text(completed.stdout + completed.stderr)
    print(f"report: {report}; rehearsal exit status {completed.returncode}")
    kinds = sorted({kind for _, totals in sampler.samples for kind in totals})
    print("phase".ljust(18), "seconds", *(f"{kind} cpu / wait".rjust(22) for kind in kinds))
    for name, start, end in phase_windows(report, completed.stdout + completed.stderr):
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for when, totals in sampler.samples:
            if start <= when < end:
                for kind, (cpu, wait) in totals.items():
                    sums[kind][0] += cpu
                    sums[kind][1] += wait
        seconds = end - start
        cells = [
            f"{sums[k][0] / seconds / 1e7:5.0f}% / {sums[k][1] / seconds / 1e7:4.0f}%".rjust(22)
            for k in kinds
        ]
        print(name.ljust(18), f"{seconds:7.1f}", *cells)


if __name__ == "__main__":
    main()
