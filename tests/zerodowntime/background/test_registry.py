"""Finding the registered backfills."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.zerodowntime.background.backfills import CounterBackfill
from zerodowntime import conf
from zerodowntime.background.exceptions import BackfillNotFound
from zerodowntime.background.registry import get_backfill


def test_get_backfill_returns_an_instance_of_the_registered_class() -> None:
    assert isinstance(get_backfill("test_counter"), CounterBackfill)
    assert "flow_counter" in conf.background_migrations()


def test_an_unknown_name_lists_the_registered_ones() -> None:
    with pytest.raises(BackfillNotFound, match="'nope'.*registered: test_counter"):
        get_backfill("nope")


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        (["tests.zerodowntime.background.backfills.Missing"], "cannot import"),
        (
            ["tests.zerodowntime.background.backfills.ITEMS_TABLE"],
            "'tests.zerodowntime.background.backfills.ITEMS_TABLE' is not a"
            " zerodowntime.background.base.Backfill subclass",
        ),
        (
            [
                "tests.zerodowntime.background.backfills.CounterBackfill",
                "tests.zerodowntime.background.backfills.CounterBackfill",
            ],
            "two backfills are named 'test_counter'",
        ),
    ],
)
def test_a_wrong_setting_is_reported(
    settings: pytest.FixtureRequest, paths: list[str], message: str
) -> None:
    settings.ZDT_BACKGROUND_MIGRATIONS = paths
    with pytest.raises(ImproperlyConfigured, match=message):
        conf.background_migrations()
