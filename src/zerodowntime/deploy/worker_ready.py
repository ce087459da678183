"""A file that says a Celery worker takes tasks: a readiness probe for any deploy tool.

With ``ZDT_WORKER_READY_FILE`` set, a worker of the project writes that file (its pid) once
Celery reports it ready, its consumer connected and its pool started, and removes it when it
shuts down. The worker's heartbeat is registered earlier, as soon as Django is loaded: Celery's
own start-up (beat, the consumer, the pool) still takes a second or more after that.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from zerodowntime import conf


def ready_file() -> Path | None:
    """Return the file named by ``ZDT_WORKER_READY_FILE``, or None when it is not set."""
    raw = conf.environ("ZDT_WORKER_READY_FILE")
    return Path(raw) if raw else None


def mark_when_ready() -> Path | None:
    """Write the ready file when Celery's worker is ready, remove it at shutdown.

    A file left by an earlier worker is removed first, so that it can't stand for this one.
    Return the file, or None when no file is asked for.
    """
    path = ready_file()
    if path is None:
        return None
    from celery.signals import worker_ready, worker_shutdown

    path.unlink(missing_ok=True)

    def write(**_: Any) -> None:
        path.write_text(f"{os.getpid()}\n")

    def remove(**_: Any) -> None:
        path.unlink(missing_ok=True)

    worker_ready.connect(write, weak=False)
    worker_shutdown.connect(remove, weak=False)
    return path
