"""Database wrapper: the zero-downtime PostgreSQL backend with the retrying schema editor.

It also makes Django's health check of persistent connections (``CONN_HEALTH_CHECKS``) cheap:
an idle psycopg connection whose socket has nothing to read is usable without a round trip.
A server that restarts, stops or ends the session sends its last message and closes the socket,
which makes it readable: then (and for any connection that is not idle) Django's own check runs,
a ``SELECT 1`` on the connection.
"""

from __future__ import annotations

import select

from django_zero_downtime_migrations.backends.postgres.base import (
    DatabaseWrapper as ZeroDowntimeDatabaseWrapper,
)
from psycopg import Connection, pq

from zerodowntime.db.backends.postgres.schema import DatabaseSchemaEditor


def quietly_idle(connection: object) -> bool:
    """Return True when ``connection`` is an idle, open psycopg connection with nothing to read."""
    if not isinstance(connection, Connection) or connection.closed:
        return False
    if connection.info.transaction_status != pq.TransactionStatus.IDLE:
        return False
    if connection.pgconn.status != pq.ConnStatus.OK:
        return False
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


class DatabaseWrapper(ZeroDowntimeDatabaseWrapper):
    """Use :class:`DatabaseSchemaEditor` for migrations; check idle connections without SQL."""

    SchemaEditorClass = DatabaseSchemaEditor

    def is_usable(self) -> bool:
        """Return whether the connection can be used, asking the server only when in doubt."""
        if quietly_idle(self.connection):
            return True
        return bool(super().is_usable())
