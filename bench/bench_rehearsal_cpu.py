"""Measure where the CPU goes in each phase of `zdt rehearse`: which process takes it from whom.

Run from the repository root::

    .venv/bin/python bench/bench_rehearsal_cpu.py -- --rows 1000000 --rate 100 [--faults]

Everything after ``--`` goes to `zdt rehearse` unchanged. The rehearsal gets a state folder of
its own (a temporary ``ZDT_STATE_DIR``), so it starts, as it would in the project's folder, a
durable embedded PostgreSQL and Redis there, and stops them at the end. Every ``--interval``
seconds the script reads ``/proc/<pid>/stat`` (user + system CPU) of every process of the
rehearsal: the `zdt rehearse` process itself (load generator, orchestrator, lock probe), each
`zdt serve` tree (wrapper, gunicorn master, workers), each `zdt worker` tree (Celery, beat,
the pool process running the backfills), each `zdt migrate`, and every process of the
PostgreSQL server, whose backends are named from ``pg_stat_activity`` (the application name of
the client, ``zdt-web-...``, ``zdt-worker-...``, ``zdt-migrate-...``; parallel workers are
counted with their leader's client; autovacuum, checkpointer, I/O workers apart). The machine's
own busy and idle time comes from ``/proc/stat``; what none of the rehearsal's processes used is
"other" (other jobs on the machine). At the end the report's phases are read and the CPU of
each group is printed per phase, in cores (CPU seconds / phase seconds), next to the phase's
p99 and maximum latency. Raw samples go to ``cpu.json`` in the report's folder.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

TICKS = os.sysconf("SC_CLK_TCK")
REPORT_LINE = re.compile(r"(\S*rehearsal-\d{8}-\d{6})")
PHASE_LINE = re.compile(r"phase: (\S+ \S+)")


@dataclass(frozen=True)
class Proc:
    """One process seen in ``/proc``: parent, CPU ticks so far, command line."""

    pid: int
    ppid: int
    ticks: int
    start: int
    comm: str
    cmdline: str


def read_procs() -> dict[int, Proc]:
    """Return every process of the machine now."""
    procs: dict[int, Proc] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read().decode(errors="replace")
            with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        procs[pid] = Proc(
            pid, int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[19]), comm, cmdline
        )
    return procs


def machine_ticks() -> tuple[int, int]:
    """Return the machine's busy and idle ticks (all CPUs) from ``/proc/stat``."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values[:8]) - idle, idle


def descendants(procs: dict[int, Proc], root: int) -> dict[int, int]:
    """Return each process under ``root`` mapped to its ancestor just below ``root`` (or root)."""
    children: dict[int, list[int]] = defaultdict(list)
    for proc in procs.values():
        children[proc.ppid].append(proc.pid)
    top: dict[int, int] = {root: root}
    stack = [(child, child) for child in children[root]]
    while stack:
        pid, branch = stack.pop()
        top[pid] = branch
        stack.extend((child, branch) for child in children[pid])
    return top


def branch_name(proc: Proc | None) -> str:
    """Name a direct child of `zdt rehearse` from its command line."""
    if proc is None:
        return "exited"
    words = proc.cmdline.split()
    if "serve" in words:
        return f"web :{words[words.index('--port') + 1]}" if "--port" in words else "web"
    for role in ("worker", "migrate"):
        if role in words:
            return role
    return "setup" if "call_command" in proc.cmdline else proc.comm


class Sampler:
    """Read the CPU of every process of a rehearsal every ``interval`` seconds."""

    def __init__(self, root: int, state_dir: Path, interval: float) -> None:
        self.root = root
        self.state_dir = str(state_dir)
        self.interval = interval
        self.samples: list[dict[str, Any]] = []
        self.labels: dict[int, str] = {}
        self._stop = threading.Event()
        self._connection: psycopg.Connection[Any] | None = None

    def postmaster(self, procs: dict[int, Proc]) -> int | None:
        """Return the pid of the rehearsal's PostgreSQL server (started in its state folder)."""
        for proc in procs.values():
            if (
                proc.comm == "postgres"
                and self.state_dir in proc.cmdline
                and " -D " in proc.cmdline
            ):
                return proc.pid
        return None

    def backend_names(self, procs: dict[int, Proc], postmaster: int) -> dict[int, str]:
        """Name each backend by its client's application (parallel workers by their leader's)."""
        names: dict[int, str] = {}
        try:
            if self._connection is None or self._connection.closed:
                port = next(
                    w.split()[0] for w in procs[postmaster].cmdline.split("-p ")[1:] if w.strip()
                )
                self._connection = psycopg.connect(
                    host="127.0.0.1", port=int(port), user="postgres", dbname="postgres",
                    autocommit=True, application_name="bench-cpu-sampler", connect_timeout=2,
                )  # fmt: skip
            rows = self._connection.execute(
                "SELECT a.pid, a.backend_type, coalesce(a.application_name, ''),"
                " coalesce(l.application_name, '')"
                " FROM pg_stat_activity a LEFT JOIN pg_stat_activity l ON l.pid = a.leader_pid"
            ).fetchall()
        except (psycopg.Error, StopIteration, KeyError):
            self._connection = None
            return names
        for pid, backend_type, application, leader in rows:
            if backend_type == "parallel worker":
                names[pid] = f"pg {_client(leader)} (parallel)"
            elif backend_type == "client backend":
                names[pid] = f"pg {_client(application)}"
            else:
                names[pid] = f"pg {backend_type}"
        return names

    def label(self, proc: Proc, branch: Proc | None, pg: dict[int, str], postmaster: int) -> str:
        """Return the group a process's CPU counts in (kept once known)."""
        known = self.labels.get(proc.pid)
        if known is not None and not known.startswith("pg backend"):
            return known
        if proc.ppid == postmaster or proc.pid == postmaster:
            name = pg.get(proc.pid) or (
                "pg postmaster" if proc.pid == postmaster else "pg backend (unnamed)"
            )
        elif proc.pid == self.root:
            name = "rehearse (load generator, orchestrator, probe)"
        else:
            name = branch_name(branch)
        self.labels[proc.pid] = name
        return name

    def sample(self) -> None:
        """Take one sample: CPU ticks of each group so far, and the machine's."""
        procs = read_procs()
        busy, idle = machine_ticks()
        tree = descendants(procs, self.root)
        postmaster = self.postmaster(procs)
        pg_tree = descendants(procs, postmaster) if postmaster else {}
        pg = self.backend_names(procs, postmaster) if postmaster else {}
        ticks: dict[int, tuple[str, int]] = {}
        for pid, branch in tree.items():
            proc = procs[pid]
            ticks[pid] = (self.label(proc, procs.get(branch), pg, postmaster or -1), proc.ticks)
        for pid in pg_tree:
            proc = procs[pid]
            if pg.get(pid, "").startswith("pg bench-cpu"):
                continue
            ticks[pid] = (self.label(proc, None, pg, postmaster or -1), proc.ticks)
        running = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                       if line.startswith("procs_running"))  # fmt: skip
        self.samples.append(
            {"at": time.time(), "busy": busy, "idle": idle, "running": running, "procs": ticks}
        )

    def run(self) -> None:
        """Sample until stopped."""
        while not self._stop.is_set():
            began = time.monotonic()
            with contextlib.suppress(OSError, ValueError):
                self.sample()
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - began)))

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        if self._connection is not None:
            self._connection.close()


def _client(application: str) -> str:
    """Return the group of a client from its application name (``zdt-web-0.1.0`` -> ``web``)."""
    if application.startswith("zdt-"):
        parts = application.split("-")
        return parts[1] if len(parts) > 2 and parts[1] != "fault" else application
    return application or "(no application)"


def per_phase(samples: list[dict[str, Any]], start: float, end: float) -> dict[str, float]:
    """Return CPU seconds per group between two wall times (plus ``machine`` and ``other``)."""
    inside = [s for s in samples if start <= s["at"] <= end]
    totals: dict[str, float] = defaultdict(float)
    for before, after in zip(inside, inside[1:], strict=False):
        for pid, (name, ticks) in after["procs"].items():
            previous = before["procs"].get(pid)
            # A process born between two samples counts from zero.
            delta = ticks - (previous[1] if previous else 0)
            totals[name] += max(delta, 0) / TICKS
        totals["(machine busy)"] += (after["busy"] - before["busy"]) / TICKS
    ours = sum(v for k, v in totals.items() if not k.startswith("("))
    totals["(other jobs)"] = max(totals["(machine busy)"] - ours, 0.0)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between samples")
    parser.add_argument("--top", type=int, default=8, help="groups shown per phase")
    parser.add_argument("rehearse", nargs=argparse.REMAINDER, help="-- arguments of zdt rehearse")
    args = parser.parse_args()
    rehearse_args = [a for a in args.rehearse if a != "--"]
    zdt = Path(sys.executable).with_name("zdt")
    with tempfile.TemporaryDirectory(prefix="zdt-bench-cpu-") as state_dir:
        env = dict(os.environ, ZDT_STATE_DIR=state_dir, PYTHONUNBUFFERED="1")
        for name in ("DATABASE_URL", "REDIS_URL"):
            env.pop(name, None)
        print(f"load average before: {Path('/proc/loadavg').read_text().split()[:3]}")
        popen = subprocess.Popen(
            [str(zdt), "rehearse", *rehearse_args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        sampler = Sampler(popen.pid, Path(state_dir), args.interval)
        thread = threading.Thread(target=sampler.run, daemon=True)
        thread.start()
        report_dir: str | None = None
        first_phase_at: float | None = None
        assert popen.stdout is not None
        for line in popen.stdout:
            sys.stdout.write(line)
            if report_dir is None and (found := REPORT_LINE.search(line)):
                report_dir = found.group(1)
            if first_phase_at is None and PHASE_LINE.search(line):
                first_phase_at = time.time()
        code = popen.wait()
        sampler.stop()
        thread.join()
    if report_dir is None or first_phase_at is None:
        sys.exit(f"zdt rehearse exited with {code} before its first phase")
    report = json.loads((Path(report_dir) / "report.json").read_text())
    origin = first_phase_at - report["phases"][0]["started"]
    summary = {row["phase"]: row for row in report["summary"]}
    table: list[dict[str, Any]] = []
    for phase in report["phases"]:
        start, end = origin + phase["started"], origin + (phase["ended"] or phase["started"])
        seconds = max(end - start, 1e-9)
        totals = per_phase(sampler.samples, start, end)
        cores = {name: round(value / seconds, 3) for name, value in totals.items()}
        row = summary.get(phase["name"], {})
        table.append({"phase": phase["name"], "seconds": round(seconds, 1), "cores": cores,
                      "p99_ms": row.get("p99_ms"), "max_ms": row.get("max_ms")})  # fmt: skip
        machine, other = cores.get("(machine busy)", 0.0), cores.get("(other jobs)", 0.0)
        print(f"\n{phase['name']}: {seconds:.1f} s, p99 {row.get('p99_ms')} ms,"
              f" max {row.get('max_ms')} ms; cores used: machine {machine:.2f},"
              f" other jobs {other:.2f}")  # fmt: skip
        groups = sorted(((v, k) for k, v in cores.items() if not k.startswith("(")), reverse=True)
        for value, name in groups[: args.top]:
            print(f"  {value:5.2f}  {name}")
    out = Path(report_dir) / "cpu.json"
    out.write_text(json.dumps({"origin": origin, "phases": table, "samples": sampler.samples}))
    print(f"\nsamples and per-phase figures: {out}; zdt rehearse exited with {code}")


if __name__ == "__main__":
    main()
