"""Benchmark ``populate_db`` against a bare ``COPY`` of the same rows on the same database.

Run from the repository root::

    .venv/bin/python bench/bench_populate.py --rows 1000000

Without DATABASE_URL it starts its own embedded PostgreSQL and Redis in a temporary folder
(non-durable, as the test suite does) and stops them at the end. With DATABASE_URL it uses that
database, and EMPTIES its product table (TRUNCATE) before and after each run. It migrates to
release 0.1.0, then:

a) runs ``manage.py populate_db --amount N`` as a child process and measures its wall time,
   rows/s and peak RSS (``ru_maxrss`` of that child);
b) exports the rows populate_db wrote to a file, truncates the table and loads the file with
   one ``COPY ... FROM STDIN``, timed around the COPY only.

It prints both rates and their ratio. The table is truncated before each run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from benchlib import embedded_services, machine
from psycopg import sql

from zerodowntime.subprocesses import zdt_command

ROOT = Path(__file__).resolve().parent.parent
RELEASE = "0.1.0"
TABLE = "product_product"
COLUMNS = ("name", "description", "created")
BLOCK = 1 << 20
UNUSED_REDIS_URL = "redis://127.0.0.1:6379/0"  # settings want one; nothing here talks to Redis


@dataclass(frozen=True)
class PopulateRun:
    """What the populate_db child process took."""

    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    output: str


@contextmanager
def database(keep_env: bool) -> Iterator[dict[str, str]]:
    """Yield the environment of a database at 0.1.0: the given URLs or embedded servers."""
    env = dict(os.environ, ZDT_RELEASE=RELEASE, DJANGO_SETTINGS_MODULE="catalog.settings")
    if keep_env:
        env.setdefault("REDIS_URL", UNUSED_REDIS_URL)
        yield env
        return
    with embedded_services() as urls:
        yield {**env, **urls}


def prepare(conn: psycopg.Connection) -> None:
    """Empty the table, restart its ids and checkpoint, so each run starts alike."""
    conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY").format(sql.Identifier(TABLE)))
    conn.execute("CHECKPOINT")


def run_populate(env: dict[str, str], rows: int, seed: int) -> PopulateRun:
    """Run populate_db in a child process; return its wall time and peak RSS."""
    args = [sys.executable, "manage.py", "populate_db", "--amount", str(rows), "--seed", str(seed)]
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        child = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=out)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if child.returncode != 0:
        raise SystemExit(f"populate_db failed ({child.returncode}):\n{output}")
    cpu = usage.ru_utime + usage.ru_stime
    return PopulateRun(seconds, cpu, usage.ru_maxrss / 1024, output.strip().splitlines()[-1])


def export_rows(conn: psycopg.Connection, path: Path) -> None:
    """Write the table's rows to ``path`` in COPY text format, in pk order."""
    query = sql.SQL("COPY (SELECT {} FROM {} ORDER BY id) TO STDOUT").format(
        sql.SQL(", ").join(map(sql.Identifier, COLUMNS)), sql.Identifier(TABLE)
    )
    with conn.cursor() as cursor, cursor.copy(query) as copy, path.open("wb") as file:
        for block in copy:
            file.write(block)


def bare_copy(conn: psycopg.Connection, path: Path) -> float:
    """Load ``path`` with one COPY in one transaction; return the seconds it took."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(TABLE), sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
    )
    with path.open("rb") as file:
        started = time.perf_counter()
        with conn.transaction(), conn.cursor() as cursor, cursor.copy(statement) as copy:
            while block := file.read(BLOCK):
                copy.write(block)
        return time.perf_counter() - started


def count_rows(conn: psycopg.Connection) -> int:
    """Return the number of rows in the table."""
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(TABLE))).fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    """Parse the arguments, run both loads and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to load (1,000,000)")
    parser.add_argument("--seed", type=int, default=1, help="populate_db --seed (1)")
    options = parser.parse_args()
    given = bool(os.environ.get("DATABASE_URL"))
    print(f"machine: {machine()}")
    print(f"load average at the start: {os.getloadavg()[0]:.2f} (1 min)")
    with database(keep_env=given) as env, tempfile.TemporaryDirectory() as scratch:
        migrate = subprocess.run(
            zdt_command("migrate", "--release", RELEASE),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if migrate.returncode != 0:
            raise SystemExit(f"zdt migrate failed:\n{migrate.stdout}{migrate.stderr}")
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            prepare(conn)
            populate = run_populate(env, options.rows, options.seed)
            if (counted := count_rows(conn)) != options.rows:
                raise SystemExit(f"populate_db wrote {counted} rows, expected {options.rows}")
            data = Path(scratch) / "rows.copy"
            export_rows(conn, data)
            size_mb = data.stat().st_size / 2**20
            prepare(conn)
            copy_seconds = bare_copy(conn, data)
            if (counted := count_rows(conn)) != options.rows:
                raise SystemExit(f"bare COPY wrote {counted} rows, expected {options.rows}")
            prepare(conn)
    populate_rate = options.rows / populate.seconds
    copy_rate = options.rows / copy_seconds
    print(f"populate_db: {populate.output}")
    print(
        f"populate_db --amount {options.rows}: wall {populate.seconds:.2f} s,"
        f" {populate_rate:,.0f} rows/s, peak RSS {populate.peak_rss_mb:.0f} MB,"
        f" CPU {populate.cpu_seconds:.2f} s"
    )
    print(
        f"bare COPY of the same {options.rows} rows ({size_mb:.0f} MB):"
        f" {copy_seconds:.2f} s, {copy_rate:,.0f} rows/s"
    )
    print(f"ratio populate_db / bare COPY: {populate_rate / copy_rate:.2f} (target >= 0.5)")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
