"""Measure the rates `zdt check --database-url` turns table sizes into seconds with.

    .venv/bin/python bench/bench_check_rates.py --rows 1000000 --repeat 3

On a fresh table shaped like a Django model's (bigint id, a varchar, a jsonb, a timestamp and an
integer, `--rows` rows, VACUUM ANALYZE'd), each statement the estimates stand for is timed on
its own fresh copy, `--repeat` times, median kept:

- full scan under a lock: `ALTER COLUMN ... SET NOT NULL` with no CHECK to prove it (MB/s of heap)
- table rewrite: `ALTER COLUMN ... TYPE bigint` on an integer column (MB/s of heap, the primary
  key rebuilt as part of it)
- index build: `CREATE INDEX` on the varchar column, one process
  (`max_parallel_maintenance_workers = 0`, as `ZDT_DDL_MAINTENANCE_WORKERS` sets for migrations)
- row by row: one `UPDATE ... SET n = n + 1` over every row (rows/s)

The servers are the embedded ones the test suite uses (non-durable: `fsync = off`), unless
DATABASE_URL is set. The numbers go into `zerodowntime.checks.costs` and docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from benchlib import embedded_services, machine  # noqa: E402

TABLE = "bench_check_rates"
MB = 2**20


def _fresh(connection: psycopg.Connection, rows: int) -> tuple[int, int]:
    """Create the table with ``rows`` rows; return its rows and heap bytes."""
    connection.execute(f"DROP TABLE IF EXISTS {TABLE}")
    connection.execute(
        f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, name varchar(255) NOT NULL,"
        " description jsonb NOT NULL, created timestamptz NOT NULL, n integer)"
    )
    connection.execute(
        f"INSERT INTO {TABLE} (name, description, created, n)"
        " SELECT 'product ' || md5(g::text), jsonb_build_object('color', 'red', 'size', g %% 50),"
        " now() - g * interval '1 second', g FROM generate_series(1, %s) g",
        (rows,),
    )
    connection.execute(f"VACUUM ANALYZE {TABLE}")
    heap = connection.execute(f"SELECT pg_table_size('{TABLE}')").fetchone()
    return rows, int(heap[0]) if heap else 0


def _timed(connection: psycopg.Connection, sql: str) -> float:
    started = time.perf_counter()
    connection.execute(sql)
    return time.perf_counter() - started


STATEMENTS: dict[str, tuple[str, str]] = {
    "scan": (f"ALTER TABLE {TABLE} ALTER COLUMN n SET NOT NULL", "MB/s"),
    "rewrite": (f"ALTER TABLE {TABLE} ALTER COLUMN n TYPE bigint", "MB/s"),
    "index": (f"CREATE INDEX {TABLE}_name ON {TABLE} (name)", "rows/s"),
    "update": (f"UPDATE {TABLE} SET n = n + 1", "rows/s"),
}


def measure(url: str, rows: int, repeat: int, say: Callable[[str], None]) -> dict[str, float]:
    """Return the median rate of each statement of :data:`STATEMENTS`."""
    rates: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SET max_parallel_maintenance_workers = 0")
        for what, (sql, unit) in STATEMENTS.items():
            samples = []
            for _ in range(repeat):
                count, heap = _fresh(connection, rows)
                seconds = _timed(connection, sql)
                rate = (heap / MB if unit == "MB/s" else count) / seconds
                samples.append(rate)
                say(f"  {what}: {seconds:.3f} s for {count:,} rows, {heap / MB:.1f} MB heap")
            rates[what] = statistics.median(samples)
            say(f"{what:8} {rates[what]:>12,.1f} {unit}  ({sql})")
        connection.execute(f"DROP TABLE IF EXISTS {TABLE}")
    return rates


def main() -> None:
    """Parse the arguments, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    url = os.environ.get("DATABASE_URL")
    if url:
        measure(url, args.rows, args.repeat, print)
        return
    with embedded_services() as env:
        measure(env["DATABASE_URL"], args.rows, args.repeat, print)


if __name__ == "__main__":
    main()
