"""Fixtures of the background migration tests: the test backfills and a plain items table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from tests.zerodowntime.background.backfills import ALL, ITEMS_TABLE


@pytest.fixture(autouse=True)
def test_backfills(settings: pytest.FixtureRequest) -> None:
    """Register the test backfills and use small batches."""
    settings.ZDT_BACKGROUND_MIGRATIONS = ALL
    settings.ZDT_BACKGROUND_BATCH_SIZE = 20
    settings.ZDT_BACKGROUND_MIN_BATCH_SIZE = 10
    settings.ZDT_BACKGROUND_MAX_BATCH_SIZE = 200


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
