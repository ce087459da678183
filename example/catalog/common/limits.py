"""The API's limits: one setting each (``CATALOG_*``), read once, refreshed when settings change.

Every limit has a documented default (README, "The API contract"); a project overrides one by
setting ``CATALOG_<NAME>`` (``max_aliases`` is ``CATALOG_MAX_ALIASES``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

PREFIX = "CATALOG_"


@dataclass(frozen=True)
class ApiLimits:
    """What one request may ask for; defaults are the documented values."""

    max_body_bytes: int = 65_536
    max_body_depth: int = 32
    max_tokens: int = 2_000
    max_query_depth: int = 8
    max_aliases: int = 20
    max_root_fields: int = 10
    max_fragment_spreads: int = 50
    max_rows: int = 200
    max_page_size: int = 100
    max_description_bytes: int = 8_192
    max_description_depth: int = 16
    request_seconds: float = 10.0
    introspection: bool = True
    graphiql: bool = True


@cache
def limits() -> ApiLimits:
    """Return the limits in force: each ``CATALOG_<NAME>`` setting, else its default."""
    values: dict[str, Any] = {}
    for declared in fields(ApiLimits):
        name = PREFIX + declared.name.upper()
        if hasattr(settings, name):
            values[declared.name] = type(declared.default)(getattr(settings, name))
    return ApiLimits(**values)


def _on_setting_changed(*, setting: str, **_: Any) -> None:
    if setting.startswith(PREFIX):
        limits.cache_clear()


setting_changed.connect(_on_setting_changed, dispatch_uid="catalog.common.limits")
