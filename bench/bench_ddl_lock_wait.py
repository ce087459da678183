"""Measure what app queries wait while a DDL statement waits behind a long transaction.

Run against the services of `zdt up` (or DATABASE_URL):

    .venv/bin/python bench/bench_ddl_lock_wait.py --hold 3 --lock-timeouts 100ms,200ms,500ms,1s

A reader holds ACCESS SHARE on a table for --hold seconds while `ALTER TABLE ... ADD COLUMN`
runs (a) with no lock timeout, as a stock RunSQL does, and (b) through zerodowntime.ddl with each
lock timeout of --lock-timeouts (retries with back-off within the time budget). An app thread
inserts rows all along; the script prints how long its inserts waited in each mode and how many
attempts the DDL needed. Then, with no reader, it counts the attempts the same ALTER needs at
each lock timeout while --writers threads insert every 10 ms (a timeout too short to
ever get the lock on a busy table would show here).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalog.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from tests.zerodowntime.locking import AppTraffic, execute, holding  # noqa: E402
from zerodowntime import ddl  # noqa: E402

TABLE = "bench_ddl_lock_wait"


def _fresh_table() -> None:
    execute(f"DROP TABLE IF EXISTS {TABLE}")
    execute(f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, name text)")
    execute(f"INSERT INTO {TABLE} (name) SELECT 'n' || g FROM generate_series(1, 100000) g")


def _policy(lock_timeout: str) -> ddl.RetryPolicy:
    return dataclasses.replace(ddl.RetryPolicy.from_settings(), lock_timeout=lock_timeout)


def run_mode(mode: str, hold: float) -> None:
    """Run one DDL behind a --hold long reader and print the app's waits."""
    _fresh_table()
    traffic = AppTraffic(TABLE)
    traffic.start()
    time.sleep(0.3)
    started = time.monotonic()
    with holding(f"SELECT count(*) FROM {TABLE}", seconds=hold):
        if mode == "stock":
            execute("SET lock_timeout = 0")
            execute(f"ALTER TABLE {TABLE} ADD COLUMN extra int")
            attempts = 1
        else:
            sql = f"ALTER TABLE {TABLE} ADD COLUMN extra int"
            attempts = ddl.execute(connection, sql, policy=_policy(mode)).attempts
    ddl_seconds = time.monotonic() - started
    time.sleep(0.3)
    traffic.stop()
    lat = sorted(traffic.latencies)
    label = "stock" if mode == "stock" else f"lock_timeout {mode}"
    print(
        f"{label:20s} ddl {ddl_seconds:5.2f} s, attempts {attempts:2d} | app inserts {len(lat):4d}:"
        f" p50 {statistics.median(lat) * 1000:6.1f} ms,"
        f" p99 {lat[int(len(lat) * 0.99)] * 1000:7.1f} ms, max {lat[-1] * 1000:7.1f} ms"
    )
    execute(f"DROP TABLE {TABLE}")


def busy_attempts(lock_timeout: str, writers: int, tries: int) -> None:
    """Print the attempts the ALTER needs, no reader, ``writers`` threads inserting."""
    _fresh_table()
    threads = [AppTraffic(TABLE) for _ in range(writers)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    attempts = []
    for number in range(tries):
        sql = f"ALTER TABLE {TABLE} ADD COLUMN extra{number} int"
        attempts.append(ddl.execute(connection, sql, policy=_policy(lock_timeout)).attempts)
    for thread in threads:
        thread.stop()
    inserts = sum(len(t.latencies) for t in threads)
    print(
        f"lock_timeout {lock_timeout:7s} busy table ({writers} writers, {inserts} inserts):"
        f" {tries} ALTERs took {sum(attempts)} attempts (most {max(attempts)})"
    )
    execute(f"DROP TABLE {TABLE}")


def main() -> None:
    """Parse arguments and run every mode."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", type=float, default=3.0, help="seconds the reader holds on")
    parser.add_argument(
        "--lock-timeouts", default="1s", help="comma-separated lock timeouts to measure"
    )
    parser.add_argument("--writers", type=int, default=8, help="writer threads of the busy test")
    parser.add_argument("--tries", type=int, default=20, help="ALTERs of the busy test")
    args = parser.parse_args()
    threading.current_thread().name = "bench"
    timeouts = [t.strip() for t in args.lock_timeouts.split(",") if t.strip()]
    for mode in ("stock", *timeouts):
        run_mode(mode, args.hold)
    for timeout in timeouts:
        busy_attempts(timeout, args.writers, args.tries)


if __name__ == "__main__":
    main()
