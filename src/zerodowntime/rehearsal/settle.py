"""Let a freshly populated database settle before the traffic that is measured begins.

Populating a rehearsal writes hundreds of megabytes (the rows, their indexes, the WAL). Left in
memory, they are written out while the baseline runs: PostgreSQL's next checkpoint, and the
kernel's write-back of dirty pages about 30 s after they were written, during which a commit's
WAL flush waits behind them. A database in service has no such backlog.
"""

from __future__ import annotations

import contextlib
import logging
import os

import psycopg

logger = logging.getLogger("zerodowntime.rehearsal")


def settle(database_url: str) -> None:
    """Write what the population left in memory to disk: a checkpoint, then the kernel's pages.

    A role that may not run ``CHECKPOINT`` (neither superuser nor ``pg_checkpoint``) leaves it
    to the server's schedule, which is said in the log.
    """
    with psycopg.connect(database_url, autocommit=True) as conn:
        try:
            conn.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            logger.info("no CHECKPOINT before the traffic: the role may not run one")
    # The server's files, when it runs on this machine (a remote server's are its own).
    with contextlib.suppress(OSError):
        os.sync()
