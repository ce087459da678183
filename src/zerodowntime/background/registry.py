"""Find the backfills a project registers in ``settings.ZDT_BACKGROUND_MIGRATIONS``."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from zerodowntime.background.base import Backfill
from zerodowntime.background.exceptions import BackfillNotFound


def registered_backfills() -> dict[str, type[Backfill]]:
    """Return the registered backfill classes by name, in the order of the setting."""
    result: dict[str, type[Backfill]] = {}
    for path in getattr(settings, "ZDT_BACKGROUND_MIGRATIONS", []):
        try:
            cls = import_string(path)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"ZDT_BACKGROUND_MIGRATIONS: cannot import {path!r} ({exc})"
            ) from exc
        if not (isinstance(cls, type) and issubclass(cls, Backfill)):
            raise ImproperlyConfigured(
                f"ZDT_BACKGROUND_MIGRATIONS: {path!r} is not a subclass of"
                " zerodowntime.background.base.Backfill"
            )
        if cls.name in result:
            raise ImproperlyConfigured(
                f"ZDT_BACKGROUND_MIGRATIONS: two backfills are named {cls.name!r}"
            )
        result[cls.name] = cls
    return result


def get_backfill(name: str) -> Backfill:
    """Return an instance of the backfill registered as ``name``."""
    backfills = registered_backfills()
    try:
        return backfills[name]()
    except KeyError:
        known = ", ".join(backfills) or "none"
        raise BackfillNotFound(
            f"no background migration named {name!r} is registered in"
            f" settings.ZDT_BACKGROUND_MIGRATIONS (registered: {known})"
        ) from None
