"""Celery tasks of the background migrations (queue "backfills") and the worker-start hook."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.db import DEFAULT_DB_ALIAS, ProgrammingError, connections
from django.utils import timezone

from zerodowntime import conf
from zerodowntime.background.constants import ENQUEUE_UNFINISHED_TASK, RUN_TASK
from zerodowntime.background.enqueue import enqueue
from zerodowntime.background.exceptions import BackfillBusy, BackfillError, BackfillNotFound
from zerodowntime.background.locks import lock_holders
from zerodowntime.background.models import BackgroundMigration
from zerodowntime.background.records import needs_enqueue, unfinished_records
from zerodowntime.background.runner import run_backfill

logger = logging.getLogger(__name__)


@shared_task(name=RUN_TASK, ignore_result=True, acks_late=True)
def run_background_migration(name: str) -> str:
    """Run ``name`` for the task time budget, then queue itself again if it is not done."""
    record = BackgroundMigration.objects.filter(name=name).first()
    if record is not None and record.is_done:
        return "done"
    try:
        record = run_backfill(name, time_budget=conf.get().background_task_time_budget)
    except BackfillBusy as exc:
        logger.info("%s", exc)
        return "busy"
    except BackfillNotFound as exc:
        logger.error("%s; this worker cannot run it", exc)
        return "unknown"
    except BackfillError as exc:
        logger.error("%s", exc)  # recorded as failed; enqueue_unfinished retries it later
        return "failed"
    if record.is_done:
        return "done"
    enqueue(name)
    return "requeued"


@shared_task(name=ENQUEUE_UNFINISHED_TASK, ignore_result=True)
def enqueue_unfinished(force: bool = False) -> list[str]:
    """Queue every unfinished background migration nobody is working on; return their names.

    With ``force``, queue every unfinished one whose lock is free, however recently it moved.
    """
    settings = conf.get()
    try:
        records = unfinished_records()
    except ProgrammingError:  # the records table is not migrated yet
        logger.warning("no background migration records yet: migrate the zdt_background app")
        return []
    running = lock_holders(connections[DEFAULT_DB_ALIAS], [record.name for record in records])
    now = timezone.now()
    queued = []
    for record in records:
        if force:
            wanted = record.name not in running
        else:
            wanted = needs_enqueue(
                record,
                now=now,
                running_elsewhere=record.name in running,
                stale_seconds=settings.background_stale_seconds,
                retry_delay_seconds=settings.background_retry_delay,
            )
        if wanted and enqueue(record.name):
            queued.append(record.name)
    return queued


@worker_ready.connect
def enqueue_unfinished_at_start(sender: Any = None, **_: Any) -> None:
    """Queue the unfinished background migrations when a worker starts."""
    try:
        queued = enqueue_unfinished(force=True)
    except Exception:  # a worker must start even when the records cannot be read
        logger.exception("could not queue the unfinished background migrations at worker start")
        return
    if queued:
        logger.info("queued unfinished background migrations at start: %s", ", ".join(queued))
