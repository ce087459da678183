"""Queue a background migration on the broker without ever failing the caller."""

from __future__ import annotations

import logging
from importlib.util import find_spec

from zerodowntime import conf
from zerodowntime.background.constants import QUEUE, RUN_TASK

logger = logging.getLogger(__name__)


def enqueue(name: str) -> bool:
    """Send the task that runs ``name`` to the backfills queue; return False if the broker failed.

    The broker is given a short connect/read timeout and no retries: when it is down, a warning
    is logged and Celery beat (or the next worker start) re-enqueues the record later, since the
    record in PostgreSQL is the source of truth.
    """
    if find_spec("celery") is None:
        logger.info(
            "background migration %r is recorded; without Celery (pip install"
            " 'zerodowntime[celery]') run it with `zdt backfills run %s`",
            name,
            name,
        )
        return False
    timeout = conf.get().background_enqueue_timeout
    try:
        app = conf.celery_app()
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
