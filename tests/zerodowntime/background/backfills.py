"""Backfills over plain test tables: each run increments ``times_filled`` of the rows it fills."""

from __future__ import annotations

from typing import Any, ClassVar

from zerodowntime.background.base import SqlBackfill

ITEMS_TABLE = "zdt_test_items"
FLOW_TABLE = "zdt_flow_items"


def counter_sql(table: str) -> str:
    """Return the UPDATE that fills the pending rows of a range once."""
    return (
        f"UPDATE {table} SET filled = true, times_filled = times_filled + 1"
        " WHERE id > %(lower)s AND id <= %(upper)s AND NOT filled"
    )


class CounterBackfill(SqlBackfill):
    """Fill ``zdt_test_items``."""

    name = "test_counter"
    table = ITEMS_TABLE
    pending_condition = "NOT filled"
    update_sql = counter_sql(ITEMS_TABLE)


class SlowCounterBackfill(CounterBackfill):
    """Fill ``zdt_test_items`` slowly, so a worker can be killed in the middle of a batch."""

    name = "test_slow_counter"
    sleep_seconds: ClassVar[float] = 0.1

    def process_batch(self, cursor: Any, lower: int, upper: int) -> int:
        """Fill the range, then sleep inside the same transaction."""
        changed = super().process_batch(cursor, lower, upper)
        cursor.execute("SELECT pg_sleep(%s)", [self.sleep_seconds])
        return changed


class FlakyCounterBackfill(CounterBackfill):
    """Fill ``zdt_test_items`` but fail on any batch that reaches past ``fail_above``."""

    name = "test_flaky_counter"
    fail_above: ClassVar[int | None] = None

    def process_batch(self, cursor: Any, lower: int, upper: int) -> int:
        """Fill the range, then fail (rolling it back) when it goes past ``fail_above``."""
        changed = super().process_batch(cursor, lower, upper)
        if self.fail_above is not None and upper > self.fail_above:
            raise ValueError(f"simulated failure in the batch ending at {upper}")
        return changed


class LazyCounterBackfill(CounterBackfill):
    """A broken backfill that never fills the row with id 7."""

    name = "test_lazy_counter"
    update_sql = counter_sql(ITEMS_TABLE) + " AND id <> 7"


class FlowCounterBackfill(SqlBackfill):
    """Fill ``zdt_flow_items``, the table the fixture migrations create."""

    name = "flow_counter"
    table = FLOW_TABLE
    pending_condition = "NOT filled"
    update_sql = counter_sql(FLOW_TABLE)


ALL = [
    f"{__name__}.{cls.__name__}"
    for cls in (
        CounterBackfill,
        SlowCounterBackfill,
        FlakyCounterBackfill,
        LazyCounterBackfill,
        FlowCounterBackfill,
    )
]
