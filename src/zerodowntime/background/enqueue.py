"""Queue a background migration on the broker without ever failing the caller."""

from __future__ import annotations

import logging

from celery import Celery, current_app
from django.utils.module_loading import import_string

from zerodowntime.background.conf import BackgroundSettings, background_settings
from zerodowntime.background.constants import QUEUE, RUN_TASK

logger = logging.getLogger(__name__)


def celery_app(conf: BackgroundSettings | None = None) -> Celery:
    """Return the project's Celery app: ``settings.ZDT_CELERY_APP``, else the current one."""
    conf = conf or background_settings()
    if conf.celery_app:
        return import_string(conf.celery_app.replace(":", "."))
    return current_app._get_current_object()


def enqueue(name: str) -> bool:
    """Send the task that runs ``name`` to the backfills queue; return False if the broker failed.

    The broker is given a short connect/read timeout and no retries: when it is down, a warning
    is logged and Celery beat (or the next worker start) re-enqueues the record later, since the
    record in PostgreSQL is the source of truth.
    """
    conf = background_settings()
    timeout = conf.enqueue_timeout
    try:
        app = celery_app(conf)
        with app.connection_for_write(
            connect_timeout=timeout,
            transport_options={
                "socket_connect_timeout": timeout,
                "socket_timeout": timeout,
                "max_retries": 0,
            },
        ) as connection:
            app.send_task(
                RUN_TASK,
                args=[name],
                queue=QUEUE,
                connection=connection,
                retry=False,
                ignore_result=True,
            )
    except Exception as exc:  # any broker failure: the record survives, beat retries
        logger.warning(
            "could not enqueue background migration %r (%s: %s); it stays recorded and"
            " Celery beat or the next worker start will queue it",
            name,
            type(exc).__name__,
            exc,
        )
        return False
    logger.info("enqueued background migration %r on queue %r", name, QUEUE)
    return True
