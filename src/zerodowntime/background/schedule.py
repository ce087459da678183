"""The Celery beat entry a project merges into ``CELERY_BEAT_SCHEDULE``."""

from __future__ import annotations

from typing import Any

from zerodowntime.background.constants import ENQUEUE_UNFINISHED_TASK, QUEUE

ENQUEUE_EVERY_SECONDS = 10.0

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "zdt-background-enqueue-unfinished": {
        "task": ENQUEUE_UNFINISHED_TASK,
        "schedule": ENQUEUE_EVERY_SECONDS,
        "options": {"queue": QUEUE, "expires": ENQUEUE_EVERY_SECONDS},
    }
}
