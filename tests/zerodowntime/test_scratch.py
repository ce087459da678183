"""Scratch databases: created empty, dropped afterwards even while connected."""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from django.db import connection

from zerodowntime.scratch import (
    drop_database,
    recreate_database,
    scratch_database,
    with_database_name,
)


def _exists(name: str) -> bool:
    url = with_database_name(os.environ["DATABASE_URL"], "postgres")
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def test_with_database_name_keeps_the_rest_of_the_url() -> None:
    url = "postgresql://user:secret@127.0.0.1:5432/zdt?sslmode=disable"
    assert with_database_name(url, "other") == (
        "postgresql://user:secret@127.0.0.1:5432/other?sslmode=disable"
    )


def test_a_scratch_database_lives_for_the_block_and_is_dropped_while_connected() -> None:
    server, name = os.environ["DATABASE_URL"], f"zdt_scratch_{uuid.uuid4().hex[:8]}"
    with scratch_database(server, name) as created:
        assert created == name and _exists(name)
        held = psycopg.connect(with_database_name(server, name))
        held.execute("CREATE TABLE t (id int)")
    assert not _exists(name)
    with pytest.raises(psycopg.OperationalError):
        held.execute("SELECT 1")  # its session was ended by the drop
    held.close()


def test_recreate_database_empties_an_existing_one_and_returns_its_url() -> None:
    server, name = os.environ["DATABASE_URL"], f"zdt_scratch_{uuid.uuid4().hex[:8]}"
    url = recreate_database(server, name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE left_over (id int)")
        url = recreate_database(server, name)
        with psycopg.connect(url) as conn:
            tables = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'left_over'")
            assert tables.fetchone() == (0,)
    finally:
        drop_database(server, name)
    assert not _exists(name)


def test_a_django_connection_names_the_server_too(django_db_blocker: object) -> None:
    name = f"zdt_scratch_{uuid.uuid4().hex[:8]}"
    unblock = django_db_blocker.unblock  # type: ignore[attr-defined]
    with unblock(), scratch_database(connection, name):
        assert _exists(name)
    assert not _exists(name)


def test_a_scratch_database_can_start_as_a_copy_of_another() -> None:
    server = os.environ["DATABASE_URL"]
    template, copy = (f"zdt_scratch_{uuid.uuid4().hex[:8]}" for _ in range(2))
    with scratch_database(server, template):
        with psycopg.connect(with_database_name(server, template), autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (id int)")
            conn.execute("INSERT INTO kept VALUES (1), (2)")
        with (
            scratch_database(server, copy, template=template),
            psycopg.connect(with_database_name(server, copy), autocommit=True) as conn,
        ):
            assert conn.execute("SELECT sum(id) FROM kept").fetchone() == (3,)
            conn.execute("INSERT INTO kept VALUES (4)")
        with psycopg.connect(with_database_name(server, template)) as conn:
            assert conn.execute("SELECT sum(id) FROM kept").fetchone() == (3,), "template kept"
    assert not _exists(copy) and not _exists(template)
