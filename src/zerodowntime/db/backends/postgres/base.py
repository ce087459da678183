"""Database wrapper: the zero-downtime PostgreSQL backend with the retrying schema editor."""

from __future__ import annotations

from django_zero_downtime_migrations.backends.postgres.base import (
    DatabaseWrapper as ZeroDowntimeDatabaseWrapper,
)

from zerodowntime.db.backends.postgres.schema import DatabaseSchemaEditor


class DatabaseWrapper(ZeroDowntimeDatabaseWrapper):
    """Use :class:`DatabaseSchemaEditor` for migrations."""

    SchemaEditorClass = DatabaseSchemaEditor
