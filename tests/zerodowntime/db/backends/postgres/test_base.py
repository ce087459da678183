"""Tests of the health check of persistent connections (ENGINE zerodowntime.db.backends.postgres).

Each test runs on Django's own connection in autocommit (``transactional_db``) and watches it
from a second connection: what the server last ran for it (``pg_stat_activity.query``).
"""

from __future__ import annotations

import select
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection

from tests.zerodowntime.locking import conninfo
from zerodowntime.waiting import wait_until

MARKER = "SELECT 'the last statement before the check'"


@pytest.fixture
def watcher(transactional_db: None) -> Iterator[psycopg.Connection]:
    """Return a second connection, after running ``MARKER`` on Django's connection."""
    with connection.cursor() as cursor:
        cursor.execute(MARKER)
    with psycopg.connect(conninfo(), autocommit=True) as other:
        yield other
    connection.close()


def last_query(watcher: psycopg.Connection) -> str:
    """Return the last statement the server ran for Django's connection."""
    pid = connection.connection.info.backend_pid
    row = watcher.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert row is not None
    return str(row[0])


def readable() -> bool:
    """Return True when the server has sent Django's connection something to read."""
    poller = select.poll()
    poller.register(connection.connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))


def test_an_idle_connection_is_usable_without_a_statement(watcher: psycopg.Connection) -> None:
    assert connection.health_check_enabled  # the settings ask for health checks
    assert connection.is_usable()
    assert last_query(watcher) == MARKER


def test_a_connection_the_server_ended_is_not_usable_and_is_replaced(
    watcher: psycopg.Connection,
) -> None:
    old_pid = connection.connection.info.backend_pid
    watcher.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    wait_until(readable, timeout=10, what="the ended session's socket did not become readable")
    assert not connection.is_usable()
    # What Django does at the start of a request, then on its first query:
    connection.health_check_done = False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != old_pid


def test_a_connection_with_a_message_waiting_asks_the_server(watcher: psycopg.Connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("LISTEN zdt_health_check")
    watcher.execute("NOTIFY zdt_health_check")
    wait_until(readable, timeout=10, what="the notification did not arrive")
    assert connection.is_usable()
    assert last_query(watcher) == "SELECT 1"


def test_a_connection_inside_a_transaction_asks_the_server(watcher: psycopg.Connection) -> None:
    connection.connection.execute("BEGIN")
    try:
        assert connection.is_usable()
        assert last_query(watcher) == "SELECT 1"
    finally:
        connection.connection.execute("ROLLBACK")
