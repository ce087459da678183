"""Fixtures of the background migration tests: a plain items table, fixture apps, Redis."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from tests.zerodowntime.background.backfills import FLOW_TABLE, ITEMS_TABLE
from zerodowntime.background.constants import QUEUE
from zerodowntime.services import EmbeddedRedis


class ItemsTable:
    """The ``zdt_test_items`` table: ``id``, ``filled`` and the ``times_filled`` counter."""

    name = ITEMS_TABLE

    def create(self, ids: list[int] | None = None, *, count: int = 0) -> None:
        """Create the table with ``count`` rows (ids 1..count) or with the given ``ids``."""
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.name}")
            cursor.execute(
                f"CREATE TABLE {self.name} (id bigserial PRIMARY KEY,"
                " filled boolean NOT NULL DEFAULT false, times_filled integer NOT NULL DEFAULT 0)"
            )
        if ids is None:
            ids = list(range(1, count + 1))
        self.insert(ids)

    def insert(self, ids: list[int]) -> None:
        """Insert pending rows with the given ids."""
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {self.name} (id) SELECT unnest(%s::bigint[])", [ids])
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{self.name}', 'id'),"
                f" (SELECT coalesce(max(id), 1) FROM {self.name}))"
            )

    def histogram(self) -> dict[int, int]:
        """Return how many rows were filled 0, 1, 2... times."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT times_filled, count(*) FROM {self.name} GROUP BY 1 ORDER BY 1")
            return dict(cursor.fetchall())

    def filled_ids(self) -> list[int]:
        """Return the ids of the filled rows."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {self.name} WHERE filled ORDER BY id")
            return [row[0] for row in cursor.fetchall()]

    def drop(self) -> None:
        """Drop the table."""
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.name}")


@pytest.fixture
def items(transactional_db: None) -> Iterator[ItemsTable]:
    """Return the items table helper (committed data, visible to other processes); drop after."""
    table = ItemsTable()
    yield table
    table.drop()


@contextmanager
def flow_app(label: str) -> Iterator[None]:
    """Install the fixture app ``label`` for the block and migrate it back to zero after."""
    app = f"tests.zerodowntime.background.flows.{label}"
    with override_settings(INSTALLED_APPS=[*django_settings.INSTALLED_APPS, app]):
        try:
            yield
        finally:
            call_command("migrate", label, "zero", verbosity=0)


def flow_histogram() -> dict[int, int]:
    """Return how many rows of the fixture apps' table were filled 0, 1, 2... times."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT times_filled, count(*) FROM {FLOW_TABLE} GROUP BY 1")
        return dict(cursor.fetchall())


@dataclass(frozen=True)
class SessionRedis:
    """The Redis server this pytest session started, which a test may stop and restart."""

    server: EmbeddedRedis
    port: int

    @contextmanager
    def stopped(self) -> Iterator[None]:
        """Stop the server for the block, then start it again on the same port (empty)."""
        self.server.stop()
        try:
            yield
        finally:
            self.server.start(self.port)


@pytest.fixture
def session_redis() -> SessionRedis:
    """Return the session's embedded Redis; skip when the tests use an external one."""
    state = os.environ.get("ZDT_STATE_DIR")
    server = EmbeddedRedis(Path(state)) if state else None
    if server is None or server.pid() is None:
        pytest.skip("needs the embedded Redis of the test session (REDIS_URL is external)")
    port = urlsplit(os.environ["REDIS_URL"]).port
    assert port is not None
    return SessionRedis(server, port)


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    """Return a client of the session's Redis with the backfills queue emptied before and after."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.delete(QUEUE)
    yield client
    client.delete(QUEUE)
    client.close()
