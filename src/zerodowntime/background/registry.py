"""Find a backfill the project registers in ``ZDT_BACKGROUND_MIGRATIONS``."""

from __future__ import annotations

from zerodowntime import conf
from zerodowntime.background.base import Backfill
from zerodowntime.background.exceptions import BackfillNotFound


def get_backfill(name: str) -> Backfill:
    """Return an instance of the backfill registered as ``name``."""
    backfills = conf.background_migrations()
    try:
        return backfills[name]()
    except KeyError:
        known = ", ".join(backfills) or "none"
        raise BackfillNotFound(
            f"no background migration named {name!r} is registered in"
            f" ZDT_BACKGROUND_MIGRATIONS (registered: {known})"
        ) from None
