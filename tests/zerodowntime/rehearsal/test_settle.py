"""A populated database is written to disk before the measured traffic begins."""

from __future__ import annotations

import os

import psycopg

from zerodowntime.rehearsal.settle import settle
from zerodowntime.scratch import scratch_database, with_database_name


def _checkpoints_requested(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT num_requested FROM pg_stat_checkpointer").fetchone()
    assert row is not None
    return int(row[0])


def test_settle_checkpoints_after_a_bulk_load() -> None:
    server = os.environ["DATABASE_URL"]
    with scratch_database(server, "zdt_settle_test") as name:
        url = with_database_name(server, name)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 100000) g")
            before = _checkpoints_requested(conn)
            settle(url)
            assert _checkpoints_requested(conn) == before + 1
