"""The settings of the background migrations, with their defaults."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class BackgroundSettings:
    """How batches are sized, bounded in time and scheduled."""

    target_seconds: float = 0.2
    batch_size: int = 1000
    min_batch_size: int = 100
    max_batch_size: int = 50_000
    lock_timeout: str = "2s"
    statement_timeout: str = "30s"
    task_time_budget: float = 60.0
    stale_seconds: float = 30.0
    retry_delay_seconds: float = 30.0
    enqueue_timeout: float = 2.0
    vacuum_when_done: bool = True
    celery_app: str | None = None


_NAMES = {
    "target_seconds": "ZDT_BACKGROUND_TARGET_SECONDS",
    "batch_size": "ZDT_BACKGROUND_BATCH_SIZE",
    "min_batch_size": "ZDT_BACKGROUND_MIN_BATCH_SIZE",
    "max_batch_size": "ZDT_BACKGROUND_MAX_BATCH_SIZE",
    "lock_timeout": "ZDT_BACKGROUND_LOCK_TIMEOUT",
    "statement_timeout": "ZDT_BACKGROUND_STATEMENT_TIMEOUT",
    "task_time_budget": "ZDT_BACKGROUND_TASK_TIME_BUDGET",
    "stale_seconds": "ZDT_BACKGROUND_STALE_SECONDS",
    "retry_delay_seconds": "ZDT_BACKGROUND_RETRY_DELAY",
    "enqueue_timeout": "ZDT_BACKGROUND_ENQUEUE_TIMEOUT",
    "vacuum_when_done": "ZDT_BACKGROUND_VACUUM",
    "celery_app": "ZDT_CELERY_APP",
}


def background_settings() -> BackgroundSettings:
    """Return the settings in force, reading each ``ZDT_BACKGROUND_*`` Django setting."""
    values = {
        field: getattr(settings, name) for field, name in _NAMES.items() if hasattr(settings, name)
    }
    return BackgroundSettings(**values)
