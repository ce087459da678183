"""How long commits wait while a ``CREATE INDEX CONCURRENTLY`` runs at each CPU priority.

    .venv/bin/python bench/bench_cic_commit_stall.py                 # normal, low, idle
    .venv/bin/python bench/bench_cic_commit_stall.py --modes low,shares=36,shares=10,idle
    .venv/bin/python bench/bench_cic_commit_stall.py --modes low --wal-compression off,pglz

Both cores are kept busy by two busy loops, each a session of its own (as app servers are).
A committer inserts one row and commits every 10 ms on a table of its own while the index is
built over ``--rows`` rows, its backend at normal priority (``normal``), in the rehearsal's
CPU cgroup at the weight of niceness 10 (``low``) or in an idle one (``idle``,
:mod:`zerodowntime.rehearsal.cpu_groups`); ``shares=N`` puts it in a cgroup v1 group of
``cpu.shares`` N (110 is the weight of niceness 10, a session's is 1024). A descheduled build
holding a WAL insertion lock holds every commit behind it: the slowest commits show it.
``--wal-compression`` sets the build session's ``wal_compression`` (superuser): the build writes
every new index page to the WAL whole, and each commit flushes the WAL written before it. Each
line also says when the build had written a tenth, half and nine tenths of its WAL (sampled
every 20 ms), as seconds before its end. Needs
root (the cgroups); starts a durable embedded PostgreSQL unless DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time

import psycopg
from benchlib import commit_every_10ms, durable_database, machine, wal_position

from zerodowntime.rehearsal.cpu_groups import CpuGroup, CpuShare

BUSY = "while True: pass"
COMMIT_INSERT = "INSERT INTO bench_cic_commits (v) VALUES ('x')"
SHARES = {"low": CpuShare.LOW, "idle": CpuShare.IDLE}


def prepare(url: str, rows: int) -> None:
    """Make the indexed table (``rows`` rows, checkpointed and synced) and the committer's."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_cic_t, bench_cic_commits")
        conn.execute("CREATE TABLE bench_cic_t (id bigserial PRIMARY KEY, name text, slug text)")
        conn.execute(
            "INSERT INTO bench_cic_t (name, slug) SELECT md5(g::text), md5((g * 7)::text)"
            " FROM generate_series(1, %s) g",
            [rows],
        )
        conn.execute("CREATE TABLE bench_cic_commits (id bigserial PRIMARY KEY, v text)")
        conn.execute("VACUUM ANALYZE bench_cic_t")
        conn.execute("CHECKPOINT")
    os.sync()


def sample_wal(url: str, stop: threading.Event, out: list[tuple[float, int]]) -> None:
    """Note (time, WAL insert position in bytes) every 20 ms until ``stop``."""
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.is_set():
            out.append((time.monotonic(), wal_position(conn)))
            time.sleep(0.02)


def wal_shares(samples: list[tuple[float, int]], began: float, ended: float) -> str:
    """Return when 10 %, 50 % and 90 % of the WAL of [began, ended] was written, before its end."""
    before = [wal for at, wal in samples if at <= began]
    during = [(at, wal) for at, wal in samples if began < at <= ended + 0.05]
    if not before or not during:
        return "WAL not sampled"
    total = during[-1][1] - before[-1]
    marks = []
    for share in (0.1, 0.5, 0.9):
        at = next(at for at, wal in during if wal - before[-1] >= share * total)
        marks.append(f"{share:.0%} {ended - at:.2f} s")
    return "WAL written by (before the end): " + ", ".join(marks)


def build_index(url: str, group: CpuGroup | None, compression: str) -> tuple[float, float, int]:
    """Build the index concurrently, its backend in ``group``: (start, seconds, WAL bytes)."""
    with psycopg.connect(url, autocommit=True) as conn:
        backend = conn.info.backend_pid
        conn.execute("SELECT set_config('wal_compression', %s, false)", [compression])
        if group is not None:
            group.admit(backend)
        wal = conn.execute("SELECT pg_current_wal_insert_lsn()").fetchone()
        began = time.monotonic()
        conn.execute("CREATE INDEX CONCURRENTLY bench_cic_i ON bench_cic_t (name, slug)")
        seconds = time.monotonic() - began
        written = conn.execute("SELECT pg_current_wal_insert_lsn() - %s::pg_lsn", wal).fetchone()
        if group is not None:
            group.release(backend)
    return began, seconds, int(written[0]) if written else 0


def trial(url: str, rows: int, mode: str, compression: str = "off") -> str:
    """Run one build under busy cores; return its line of results."""
    prepare(url, rows)
    group = None
    if mode in SHARES or mode.startswith("shares="):
        share = SHARES.get(mode, CpuShare.LOW)
        group, why = CpuGroup.create(f"zdt-bench-{mode.replace('=', '')}-{os.getpid()}", share)
        if group is None:
            return f"{mode}: no CPU group here ({why})"
        if mode.startswith("shares="):
            (group.directory / "cpu.shares").write_text(mode.removeprefix("shares="))
    loops = [
        subprocess.Popen([sys.executable, "-c", BUSY], start_new_session=True) for _ in range(2)
    ]
    commits: list[tuple[float, float]] = []
    stop = threading.Event()
    committer = threading.Thread(target=commit_every_10ms, args=(url, COMMIT_INSERT, stop, commits))
    committer.start()
    wal: list[tuple[float, int]] = []
    sampler = threading.Thread(target=sample_wal, args=(url, stop, wal))
    sampler.start()
    try:
        time.sleep(1)
        began, seconds, written = build_index(url, group, compression)
        time.sleep(1)
    finally:
        stop.set()
        committer.join()
        sampler.join()
        for loop in loops:
            loop.kill()
            loop.wait()
        if group is not None:
            group.remove()
    during = sorted(s for t, s in commits if began <= t <= began + seconds)
    p99 = during[int(0.99 * (len(during) - 1))] if during else 0.0
    worst = during[-1] if during else 0.0
    return (
        f"{mode:>9}, wal_compression {compression}: index built in {seconds:5.1f} s, WAL"
        f" {written / 1e6:.0f} MB; {len(during)} commits during it, p99 {p99 * 1000:.0f} ms,"
        f" slowest {worst * 1000:.0f} ms; {wal_shares(wal, began, began + seconds)}"
    )


def main() -> None:
    """Run each mode once and print a line for it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--modes", default="normal,low,idle")
    parser.add_argument(
        "--wal-compression", default="off", help="values of the build's wal_compression, each run"
    )
    parser.add_argument("--rounds", type=int, default=1, help="runs of every combination")
    args = parser.parse_args()
    print(machine())
    with durable_database() as url:
        for _ in range(args.rounds):
            for mode in args.modes.split(","):
                for compression in args.wal_compression.split(","):
                    print(trial(url, args.rows, mode, compression), flush=True)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS bench_cic_t, bench_cic_commits")


if __name__ == "__main__":
    main()
