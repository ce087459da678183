"""A backfill that changed much of its table analyzes it before the late-row sweep and
vacuums it before it is done; neither waits long for the table's lock."""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg
import pytest
from django.db import connection

from tests.zerodowntime.background.fixtures import ItemsTable
from zerodowntime.background.maintenance import (
    analyze,
    analyze_if_mostly_changed,
    vacuum_if_mostly_changed,
)
from zerodowntime.background.runner import run_backfill

# Each maintenance step and the pg_stat_user_tables column that counts it.
MAINTENANCE = pytest.mark.parametrize(
    ("maintain", "count_column"),
    [(analyze_if_mostly_changed, "analyze_count"), (vacuum_if_mostly_changed, "vacuum_count")],
    ids=["analyze", "vacuum"],
)


def table_stat(table: str, column: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM pg_stat_user_tables WHERE relid = to_regclass(%s)", [table]
        )
        return int(cursor.fetchone()[0])


def analyze_count(table: str) -> int:
    return table_stat(table, "analyze_count")


def vacuum_count(table: str) -> int:
    return table_stat(table, "vacuum_count")


def lock_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        return str(cursor.fetchone()[0])


def test_a_run_over_the_whole_table_analyzes_it_again(items: ItemsTable) -> None:
    items.create(count=300)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {items.name}")
    before = analyze_count(items.name)

    run_backfill("test_counter")

    assert analyze_count(items.name) == before + 1


def test_a_finished_backfill_over_the_whole_table_vacuums_it(items: ItemsTable) -> None:
    items.create(count=300)
    before = vacuum_count(items.name)

    record = run_backfill("test_counter")

    assert record.status == "done"
    assert vacuum_count(items.name) == before + 1


def test_running_a_finished_backfill_again_does_not_vacuum_again(items: ItemsTable) -> None:
    items.create(count=300)
    run_backfill("test_counter")
    before = vacuum_count(items.name)

    assert run_backfill("test_counter").status == "done"

    assert vacuum_count(items.name) == before


def test_the_vacuum_can_be_turned_off(items: ItemsTable, settings: pytest.FixtureRequest) -> None:
    items.create(count=300)
    settings.ZDT_BACKGROUND_VACUUM = False
    before = vacuum_count(items.name)

    assert run_backfill("test_counter").status == "done"

    assert vacuum_count(items.name) == before


@MAINTENANCE
def test_a_tenth_of_the_table_is_the_threshold(
    items: ItemsTable, maintain: Callable[..., bool], count_column: str
) -> None:
    items.create(count=1000)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {items.name}")
    before = table_stat(items.name, count_column)

    assert not maintain(connection, items.name, "test_counter", changed=99)
    assert table_stat(items.name, count_column) == before
    assert maintain(connection, items.name, "test_counter", changed=100)
    assert table_stat(items.name, count_column) == before + 1


@MAINTENANCE
def test_a_table_locked_by_an_index_build_is_not_waited_for(
    items: ItemsTable,
    settings: pytest.FixtureRequest,
    maintain: Callable[..., bool],
    count_column: str,
) -> None:
    items.create(count=100)
    settings.ZDT_BACKGROUND_LOCK_TIMEOUT = "50ms"
    session_timeout = lock_timeout()
    before = table_stat(items.name, count_column)
    with psycopg.connect(**connection.get_connection_params()) as other:
        other.execute(f"LOCK TABLE {items.name} IN SHARE UPDATE EXCLUSIVE MODE")  # as CIC does
        started = time.monotonic()

        assert not maintain(connection, items.name, "test_counter", changed=100)

        assert time.monotonic() - started < 1.0
    assert table_stat(items.name, count_column) == before
    assert lock_timeout() == session_timeout
    assert run_backfill("test_counter").status == "done"


def backfill_vacuum(items: ItemsTable) -> bool:
    return vacuum_if_mostly_changed(connection, items.name, "test_counter", changed=40_000)


def backfill_analyze(items: ItemsTable) -> bool:
    return analyze(connection, items.name, "test_counter")


def seconds_after_changing_every_row(
    items: ItemsTable, step: Callable[[ItemsTable], bool]
) -> float:
    """Update every row, flush it to disk, and time the backfill's ``step`` on the table."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {items.name} SET filled = true")
        cursor.execute("CHECKPOINT")  # the step then dirties each page itself (cost 20 each)
    started = time.monotonic()
    assert step(items)
    return time.monotonic() - started


def vacuum_cost_delay() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('vacuum_cost_delay')")
        return str(cursor.fetchone()[0])


@pytest.mark.parametrize("step", [backfill_vacuum, backfill_analyze], ids=["vacuum", "analyze"])
def test_the_vacuum_and_analyze_are_throttled_by_the_cost_delay_as_autovacuum_is(
    items: ItemsTable, settings: pytest.FixtureRequest, step: Callable[[ItemsTable], bool]
) -> None:
    items.create(count=40_000)  # about 200 pages: 4,000 cost units, 20 pauses of the delay
    session_delay = vacuum_cost_delay()
    settings.ZDT_BACKGROUND_VACUUM_COST_DELAY = "50ms"

    throttled = seconds_after_changing_every_row(items, step)

    assert vacuum_cost_delay() == session_delay
    settings.ZDT_BACKGROUND_VACUUM_COST_DELAY = "0"
    unthrottled = seconds_after_changing_every_row(items, step)
    assert throttled >= 0.5 > unthrottled, (throttled, unthrottled)
