"""Repair what an interrupted concurrent index build leaves behind."""

from __future__ import annotations

import logging

from django.db.backends.base.base import BaseDatabaseWrapper

from zerodowntime import ddl
from zerodowntime.db.introspection import IndexState, index_state

logger = logging.getLogger("zerodowntime.ddl")


def drop_index_sql(connection: BaseDatabaseWrapper, name: str) -> str:
    """Return the statement that drops index ``name`` without blocking writes."""
    return f"DROP INDEX CONCURRENTLY IF EXISTS {connection.ops.quote_name(name)}"


def drop_invalid_index(
    connection: BaseDatabaseWrapper, name: str, *, policy: ddl.RetryPolicy | None = None
) -> bool:
    """Drop index ``name`` if it is INVALID; return True when one was dropped."""
    if index_state(connection, name) is not IndexState.INVALID:
        return False
    logger.warning("dropping INVALID index %s left by an interrupted build", name)
    ddl.execute(connection, drop_index_sql(connection, name), policy=policy)
    return True
