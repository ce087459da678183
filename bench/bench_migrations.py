"""Benchmark the release migrations and backfills on a big product table.

Run from the repository root::

    .venv/bin/python bench/bench_migrations.py --rows 1000000

Without DATABASE_URL/REDIS_URL it starts its own embedded PostgreSQL and Redis in a temporary
folder and stops them at the end. Steps, all on the same table:

1. migrate to 0.1.0 and populate N rows (populate_db, COPY);
2. migrate to 0.1.1 (timed);
3. the baseline: one ``UPDATE product_product SET created_at = created`` (timed), then the
   column is set back to NULL and the table vacuumed (not timed). It runs twice and the second
   run is the baseline: the first UPDATE after the load also sets every tuple's hint bits and
   creates the server's WAL files, work that nothing after it pays again. Likewise the floors
   of writing slugs (unique index maintenance, no slug rules): one ``UPDATE ... SET slug =
   'bare-' || id`` (in key order) and ``SET slug = md5(id::text)`` in committed batches of
   16,000 rows (random text, as real slugs are, in batches as the backfill writes them);
4. the two background migrations, run to completion by the batch runner (timed: rows/s);
5. migrate to 0.2.0 and to 0.3.0 (each timed);
6. ``productCreate`` latency through a gunicorn app server of 0.3.0: sequential requests, half
   of them with one repeated name (the worst case for slug numbers).

While 2-5 run (and, their figures not kept, while 3 runs so that every timed step shares the
same load), a sampler polls ``pg_locks`` every 2 ms and records how long any session held a
lock on ``product_product`` that blocks reads or writes (SHARE and stronger), and a canary
client times a one-row read and a one-row write every 20 ms: the longest stall a client saw.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from benchlib import embedded_services, machine

from zerodowntime.subprocesses import ZDT, zdt_command

ROOT = Path(__file__).resolve().parent.parent
TABLE = "product_product"
BACKFILLS = ("product_created_at", "product_slug")
BLOCKING_MODES = ("ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock")


@contextmanager
def services_env() -> Iterator[dict[str, str]]:
    """Yield an environment with DATABASE_URL/REDIS_URL: the given ones or embedded servers."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="catalog.settings", ZDT_LOG_LEVEL="WARNING")
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # its app server refuses the public one
    if env.get("DATABASE_URL") and env.get("REDIS_URL"):
        yield env
        return
    with embedded_services() as urls:
        yield {**env, **urls}


def zdt(env: dict[str, str], *args: str, release: str) -> float:
    """Run ``zdt ARGS`` at ``release``; return its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run(
        zdt_command(*args),
        env=dict(env, ZDT_RELEASE=release),
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


@dataclass(eq=False)
class LockSampler(threading.Thread):
    """Record how long each session held a blocking lock on the table (sampled every 2 ms)."""

    url: str
    interval: float = 0.002
    holds: dict[tuple[int, str, str], list[float]] = field(default_factory=dict)
    queries: dict[tuple[int, str, str], str] = field(default_factory=dict)
    stop_event: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        super().__init__(daemon=True)

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop_event.is_set():
                rows = conn.execute(
                    "SELECT l.pid, a.xact_start::text, l.mode, left(a.query, 120)"
                    " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    " JOIN pg_class c ON c.oid = l.relation"
                    " WHERE c.relname = %s AND l.locktype = 'relation' AND l.granted"
                    " AND l.mode = ANY(%s)"
                    " AND l.pid <> pg_backend_pid()",
                    [TABLE, list(BLOCKING_MODES)],
                ).fetchall()
                now = time.perf_counter()
                for pid, xact_start, mode, query in rows:
                    key = (pid, xact_start or "", mode)
                    self.holds.setdefault(key, [now, now])[1] = now
                    self.queries[key] = query
                time.sleep(self.interval)

    def longest(self) -> tuple[float, str]:
        """Return the longest observed hold in ms (one interval added) and its statement."""
        if not self.holds:
            return 0.0, ""
        key = max(self.holds, key=lambda k: self.holds[k][1] - self.holds[k][0])
        first, last = self.holds[key]
        return (last - first + self.interval) * 1000, f"{key[2]}: {self.queries[key]}"


@dataclass(eq=False)
class Canary(threading.Thread):
    """Time a one-row read and a one-row write (rolled back) every 20 ms."""

    url: str
    read_ms: list[float] = field(default_factory=list)
    write_ms: list[float] = field(default_factory=list)
    stop_event: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        super().__init__(daemon=True)

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            first_id = conn.execute(f"SELECT min(id) FROM {TABLE}").fetchone()[0]
            while not self.stop_event.is_set():
                started = time.perf_counter()
                conn.execute(f"SELECT name FROM {TABLE} WHERE id = %s", [first_id]).fetchall()
                self.read_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                with conn.transaction(force_rollback=True):
                    conn.execute(f"UPDATE {TABLE} SET name = name WHERE id = %s", [first_id])
                self.write_ms.append((time.perf_counter() - started) * 1000)
                time.sleep(0.02)


@contextmanager
def watched(url: str) -> Iterator[tuple[LockSampler, Canary]]:
    """Run the lock sampler and the canary client while the block runs."""
    sampler, canary = LockSampler(url), Canary(url)
    sampler.start()
    canary.start()
    try:
        yield sampler, canary
    finally:
        sampler.stop_event.set()
        canary.stop_event.set()
        sampler.join()
        canary.join()


def run_backfill(env: dict[str, str], name: str) -> float:
    """Run one background migration to completion in a child process; return seconds."""
    started = time.perf_counter()
    subprocess.run(
        [
            *ZDT,
            "backfills",
            "run",
            name,
        ],
        env=dict(env, ZDT_RELEASE="0.1.1"),
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def bare_update(url: str) -> float:
    """Time the single-statement baseline, then undo it (untimed) and vacuum."""
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute(f"UPDATE {TABLE} SET created_at = created")
        seconds = time.perf_counter() - started
        conn.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER product_product_sync_created")
        conn.execute(f"UPDATE {TABLE} SET created_at = NULL")
        conn.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER product_product_sync_created")
        conn.execute(f"VACUUM {TABLE}")
    return seconds


def batched_slug_floor(url: str, batch: int = 16_000) -> float:
    """Time md5 slugs written in committed pk batches (the backfill's shape), then undo them."""
    with psycopg.connect(url, autocommit=True) as conn:
        lowest, highest = conn.execute(f"SELECT min(id), max(id) FROM {TABLE}").fetchone()
        started = time.perf_counter()
        for lower in range(lowest - 1, highest, batch):
            conn.execute(
                f"UPDATE {TABLE} SET slug = md5(id::text)"
                " WHERE id > %s AND id <= %s AND slug IS NULL",
                [lower, lower + batch],
            )
        seconds = time.perf_counter() - started
        conn.execute(f"UPDATE {TABLE} SET slug = NULL")
        conn.execute(f"VACUUM {TABLE}")
    return seconds


def bare_slug_update(url: str) -> float:
    """Time a single-statement slug fill (no slug rules: the SQL floor), then undo it."""
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute(f"UPDATE {TABLE} SET slug = 'bare-' || id")
        seconds = time.perf_counter() - started
        conn.execute(f"UPDATE {TABLE} SET slug = NULL")
        conn.execute(f"VACUUM {TABLE}")
    return seconds


def create_latencies(env: dict[str, str], requests: int) -> list[float]:
    """Return ``productCreate`` latencies (ms) through a gunicorn server of the newest release."""
    from zerodowntime.services import free_port

    port = free_port()
    token = subprocess.run(
        zdt_command("token"),
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    server = subprocess.Popen(
        [
            *ZDT,
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    latencies: list[float] = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(100):
                try:
                    if client.get("/health/").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            query = "mutation($n: String!) { productCreate(name: $n) { product { id slug } } }"
            for i in range(requests):
                name = "Popular lamp" if i % 2 else f"Lamp {i}"
                started = time.perf_counter()
                response = client.post(
                    "/graphql/",
                    json={"query": query, "variables": {"n": name}},
                    headers={"Authorization": f"Bearer {token}"},
                )
                latencies.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200 and "errors" not in response.json(), (
                    response.text
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    """Return the ``fraction`` quantile of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    """Run the benchmark and print a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to populate")
    parser.add_argument("--creates", type=int, default=400, help="productCreate requests")
    parser.add_argument("--json", type=Path, help="also write the summary to this file")
    args = parser.parse_args()
    result: dict[str, object] = {"rows": args.rows, "machine": machine()}
    with services_env() as env:
        url = env["DATABASE_URL"]
        zdt(env, "migrate", "--release", "0.1.0", release="0.1.0")
        result["populate_seconds"] = round(
            zdt(env, "populate", "--amount", str(args.rows), release="0.1.0"), 1
        )
        migrate: dict[str, float] = {}
        with watched(url) as first:
            migrate["0.1.1"] = zdt(env, "migrate", "--release", "0.1.1", release="0.1.1")
        with watched(url):  # the same load as below; figures dropped (it locks every row)
            first_baseline = bare_update(url)
            baseline = bare_update(url)
            slug_floor = bare_slug_update(url)
            batched_floor = batched_slug_floor(url)
        with watched(url) as second:
            backfill = {name: run_backfill(env, name) for name in BACKFILLS}
            migrate["0.2.0"] = zdt(env, "migrate", "--release", "0.2.0", release="0.2.0")
            migrate["0.3.0"] = zdt(env, "migrate", "--release", "0.3.0", release="0.3.0")
        longest_ms, statement = max(first[0].longest(), second[0].longest())
        read_ms = first[1].read_ms + second[1].read_ms
        write_ms = first[1].write_ms + second[1].write_ms
        latencies = create_latencies(env, args.creates)
    rate = lambda seconds: round(args.rows / seconds)  # noqa: E731
    result.update(
        migrate_seconds={release: round(s, 2) for release, s in migrate.items()},
        first_bare_update_seconds=round(first_baseline, 2),
        bare_update_seconds=round(baseline, 2),
        bare_update_rows_per_second=rate(baseline),
        backfill_seconds={name: round(s, 2) for name, s in backfill.items()},
        backfill_rows_per_second={name: rate(s) for name, s in backfill.items()},
        created_at_backfill_vs_bare_update=round(baseline / backfill["product_created_at"], 2),
        slug_backfill_vs_bare_update=round(baseline / backfill["product_slug"], 2),
        bare_slug_update_rows_per_second=rate(slug_floor),
        slug_backfill_vs_bare_slug_update=round(slug_floor / backfill["product_slug"], 2),
        batched_md5_slug_rows_per_second=rate(batched_floor),
        batched_md5_slugs_vs_bare_update=round(baseline / batched_floor, 2),
        slug_backfill_vs_batched_md5_slugs=round(batched_floor / backfill["product_slug"], 2),
        longest_blocking_lock_ms=round(longest_ms, 1),
        longest_blocking_lock_statement=statement,
        canary_max_read_ms=round(max(read_ms), 1),
        canary_max_write_ms=round(max(write_ms), 1),
        product_create_p50_ms=round(statistics.median(latencies), 2),
        product_create_p95_ms=round(percentile(latencies, 0.95), 2),
    )
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
