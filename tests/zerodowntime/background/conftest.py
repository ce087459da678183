"""Fixtures of the background migration tests (shared with the CLI tests through fixtures.py)."""

from __future__ import annotations

import pytest

from tests.zerodowntime.background.backfills import ALL
from tests.zerodowntime.background.fixtures import broker, items, session_redis

__all__ = ["broker", "items", "session_redis"]


@pytest.fixture(autouse=True)
def test_backfills(settings: pytest.FixtureRequest) -> None:
    """Register the test backfills and use small batches."""
    settings.ZDT_BACKGROUND_MIGRATIONS = ALL
    settings.ZDT_BACKGROUND_BATCH_SIZE = 20
    settings.ZDT_BACKGROUND_MIN_BATCH_SIZE = 10
    settings.ZDT_BACKGROUND_MAX_BATCH_SIZE = 200
