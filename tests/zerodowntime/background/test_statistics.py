"""A run that changed much of its table analyzes it before sweeping for late rows."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection

from tests.zerodowntime.background.fixtures import ItemsTable
from zerodowntime.background.runner import run_backfill
from zerodowntime.background.statistics import analyze_if_mostly_changed


def analyze_count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE relid = to_regclass(%s)",
            [table],
        )
        return int(cursor.fetchone()[0])


def test_a_run_over_the_whole_table_analyzes_it_again(items: ItemsTable) -> None:
    items.create(count=300)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {items.name}")
    before = analyze_count(items.name)

    run_backfill("test_counter")

    assert analyze_count(items.name) == before + 1


def test_a_small_change_to_a_big_table_is_not_worth_an_analyze(items: ItemsTable) -> None:
    items.create(count=1000)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {items.name}")
    before = analyze_count(items.name)

    assert not analyze_if_mostly_changed(connection, items.name, "test_counter", changed=99)
    assert analyze_if_mostly_changed(connection, items.name, "test_counter", changed=100)
    assert analyze_count(items.name) == before + 1


def test_a_table_locked_by_an_index_build_is_not_waited_for(
    items: ItemsTable, settings: pytest.FixtureRequest
) -> None:
    items.create(count=100)
    settings.ZDT_BACKGROUND_LOCK_TIMEOUT = "50ms"
    before = analyze_count(items.name)
    with psycopg.connect(**connection.get_connection_params()) as other:
        other.execute(f"LOCK TABLE {items.name} IN SHARE UPDATE EXCLUSIVE MODE")  # as CIC does
        started = time.monotonic()

        assert not analyze_if_mostly_changed(connection, items.name, "test_counter", changed=100)

        assert time.monotonic() - started < 1.0
    assert analyze_count(items.name) == before
    assert run_backfill("test_counter").status == "done"
