"""Measure what app queries wait while a DDL statement waits behind a long transaction.

Run against the services of `zdt up` (or DATABASE_URL):

    .venv/bin/python bench/bench_ddl_lock_wait.py --hold 3

A reader holds ACCESS SHARE on a table for --hold seconds while `ALTER TABLE ... ADD COLUMN`
runs (a) with no lock timeout, as a stock RunSQL does, and (b) through zerodowntime.ddl (1 s
lock timeout, retries with back-off). An app thread inserts rows all along; the script prints
how long its inserts waited in each mode and how many attempts the DDL needed.
"""

from __future__ import annotations

import argparse
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


def run_mode(mode: str, hold: float) -> None:
    """Run one DDL behind a --hold long reader and print the app's waits."""
    execute(f"DROP TABLE IF EXISTS {TABLE}")
    execute(f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, name text)")
    execute(f"INSERT INTO {TABLE} (name) SELECT 'n' || g FROM generate_series(1, 100000) g")
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
            attempts = ddl.execute(connection, f"ALTER TABLE {TABLE} ADD COLUMN extra int").attempts
    ddl_seconds = time.monotonic() - started
    time.sleep(0.3)
    traffic.stop()
    lat = sorted(traffic.latencies)
    print(
        f"{mode:14s} ddl {ddl_seconds:5.2f} s, attempts {attempts:2d} | app inserts {len(lat):4d}: "
        f"p50 {statistics.median(lat) * 1000:6.1f} ms, "
        f"p99 {lat[int(len(lat) * 0.99)] * 1000:7.1f} ms, max {lat[-1] * 1000:7.1f} ms"
    )
    execute(f"DROP TABLE {TABLE}")


def main() -> None:
    """Parse arguments and run both modes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", type=float, default=3.0, help="seconds the reader holds on")
    args = parser.parse_args()
    threading.current_thread().name = "bench"
    for mode in ("stock", "zerodowntime"):
        run_mode(mode, args.hold)


if __name__ == "__main__":
    main()
