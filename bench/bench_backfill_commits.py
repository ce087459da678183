"""How much a backfill alone slows the application's commits, by how it paces its batches.

    .venv/bin/python bench/bench_backfill_commits.py
    .venv/bin/python bench/bench_backfill_commits.py --paces none,ratio=1,ratio=3 --rounds 2
    .venv/bin/python bench/bench_backfill_commits.py --paces ratio=1 --target-seconds 0.2,0.05

A committer inserts one row and commits every 10 ms (into a table of its own, or with
``--same-table`` into the backfilled table, whose last pages the backfill's new row versions
fill too) while a backfill sets a column of ``--rows`` rows in keyset batches, each in its own
transaction, as the toolkit's runner does: the batch size adapts to take 0.2 s
(``--target-seconds``, ``ZDT_BACKGROUND_TARGET_SECONDS``), and the session
compresses its WAL (``wal_compression`` pglz). Paces: ``none`` (no backfill: the committer
alone), ``ratio=N`` (pause N times each batch's duration after it, ``ZDT_BACKGROUND_NICE_RATIO``).
Nothing else runs: no app server, no CPU load, so the line shows what the backfill's database
work costs a commit (WAL to flush, locks, the disk), apart from the CPU it takes on a shared
machine. Starts a durable embedded PostgreSQL unless DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import threading
import time

import psycopg
from benchlib import commit_every_10ms, durable_database, machine, wal_position

from zerodowntime.background.tuning import next_batch_size

COMMITTER_INSERT = {
    False: "INSERT INTO bench_bf_commits (v) VALUES ('x')",
    True: "INSERT INTO bench_bf_t (name, created) VALUES (md5(random()::text), now())",
}


def prepare(url: str, rows: int) -> None:
    """Make the backfilled table (``rows`` rows, one index besides the key) and the committer's."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_bf_t, bench_bf_commits")
        conn.execute(
            "CREATE TABLE bench_bf_t (id bigserial PRIMARY KEY, name text,"
            " created timestamptz, created_at timestamptz)"
        )
        conn.execute(
            "INSERT INTO bench_bf_t (name, created)"
            " SELECT md5(g::text), now() - g * interval '1 s' FROM generate_series(1, %s) g",
            [rows],
        )
        conn.execute("CREATE INDEX ON bench_bf_t (name)")
        conn.execute("CREATE TABLE bench_bf_commits (id bigserial PRIMARY KEY, v text)")
        conn.execute("VACUUM ANALYZE bench_bf_t")
        conn.execute("CHECKPOINT")


def backfill(
    url: str, rows: int, pace: tuple[float, float], stop: threading.Event, out: dict[str, float]
) -> None:
    """Set ``created_at`` batch by batch until done or ``stop``; note rows, seconds, WAL bytes.

    ``pace`` is (nice ratio, seconds a batch aims at).
    """
    ratio, target = pace
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET wal_compression = pglz")
        cursor, size, done = 0, 1000, 0
        began, wal = time.monotonic(), wal_position(conn)
        while cursor < rows and not stop.is_set():
            started = time.monotonic()
            conn.execute(
                "UPDATE bench_bf_t SET created_at = created WHERE id > %s AND id <= %s",
                [cursor, cursor + size],
            )
            seconds = time.monotonic() - started
            cursor, done = cursor + size, done + size
            size = next_batch_size(
                size, seconds, target_seconds=target, minimum=100, maximum=50_000
            )
            time.sleep(ratio * seconds)
        out.update(rows=done, seconds=time.monotonic() - began, wal=wal_position(conn) - wal)


def trial(url: str, rows: int, pace: str, target: float, seconds: float, same_table: bool) -> str:
    """Commit for ``seconds`` beside a backfill paced by ``pace``, batches of ``target`` s."""
    prepare(url, rows)
    stop = threading.Event()
    commits: list[tuple[float, float]] = []
    insert = COMMITTER_INSERT[same_table]
    committer = threading.Thread(target=commit_every_10ms, args=(url, insert, stop, commits))
    committer.start()
    time.sleep(1)
    began = time.monotonic()
    done: dict[str, float] = {}
    worker = None
    if pace != "none":
        ratio = float(pace.removeprefix("ratio="))
        worker = threading.Thread(target=backfill, args=(url, rows, (ratio, target), stop, done))
        worker.start()
    time.sleep(seconds)
    stop.set()
    committer.join()
    if worker is not None:
        worker.join()
    during = sorted(s for at, s in commits if at >= began)
    rank = {share: during[round(share * (len(during) - 1))] * 1000 for share in (0.5, 0.99)}
    line = (
        f"{pace:>8}, batches of {target:g} s: {len(during)} commits, p50 {rank[0.5]:.1f} ms,"
        f" p99 {rank[0.99]:.1f} ms, slowest {during[-1] * 1000:.0f} ms"
    )
    if done:
        rate = done["wal"] / done["seconds"] / 1e6
        line += (
            f"; backfill {done['rows']:.0f} rows in {done['seconds']:.1f} s,"
            f" WAL {done['wal'] / 1e6:.0f} MB ({rate:.1f} MB/s)"
        )
    return line


def main() -> None:
    """Run each pace for ``--seconds`` and print a line for it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--paces", default="none,ratio=1,ratio=3")
    parser.add_argument("--seconds", type=float, default=25.0, help="commits per trial, seconds")
    parser.add_argument(
        "--target-seconds", default="0.2", help="seconds a batch aims at, each run (0.2,0.05)"
    )
    parser.add_argument(
        "--same-table", action="store_true", help="commit into the backfilled table"
    )
    parser.add_argument("--rounds", type=int, default=1, help="runs of every pace")
    args = parser.parse_args()
    print(machine())
    with durable_database() as url:
        for _ in range(args.rounds):
            for pace in args.paces.split(","):
                for target in args.target_seconds.split(","):
                    line = trial(url, args.rows, pace, float(target), args.seconds, args.same_table)
                    print(line, flush=True)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS bench_bf_t, bench_bf_commits")


if __name__ == "__main__":
    main()
