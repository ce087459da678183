"""Schema editor: django-pg-zero-downtime-migrations' SQL, each statement run by ``ddl.run``.

The zero-downtime mixin turns Django operations into lock-friendly SQL (concurrent indexes,
NOT VALID checks, ...) but sets ``lock_timeout`` around ACCESS EXCLUSIVE statements only, and
never retries. :class:`RetryingExecuteMixin` sits below it in the MRO, so it receives every
single statement the mixin lets through (``RunSQL`` and trigger SQL included) and runs each one
under the lock timeout, retrying with back-off (see :mod:`zerodowntime.ddl`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError
from django.db.backends.postgresql.schema import (
    DatabaseSchemaEditor as PostgresDatabaseSchemaEditor,
)
from django_zero_downtime_migrations.backends.postgres.schema import DatabaseSchemaEditorMixin

from zerodowntime import conf, ddl
from zerodowntime.db.indexes import drop_invalid_index
from zerodowntime.db.wal import compressed_wal
from zerodowntime.sql import Kind, Statement, parse


def _concurrent_index(statements: list[Statement]) -> str | None:
    """Return the index a ``CREATE INDEX CONCURRENTLY`` among ``statements`` builds, or None."""
    for statement in statements:
        for change in statement.changes:
            if change.kind is Kind.CREATE_INDEX and change.concurrently and change.name:
                return change.name
    return None


class RetryingExecuteMixin(PostgresDatabaseSchemaEditor):
    """Run each statement under the lock timeout and retry it with back-off on timeout."""

    ddl_policy: ddl.RetryPolicy
    ddl_records: list[ddl.StatementRecord]

    def execute(self, sql: Any, params: Any = ()) -> None:
        """Execute one statement; session settings and collected SQL pass straight through."""
        text = str(sql)
        if self.collect_sql:
            super().execute(sql, params)
            return
        composed = self.connection.ops.compose_sql(text, params) if params else text
        statements = parse(composed)
        if statements and all(statement.is_setting for statement in statements):
            super().execute(sql, params)
            return
        run_once = super().execute
        index = _concurrent_index(statements)

        def drop_left_over_index() -> None:
            if index is not None:
                drop_invalid_index(self.connection, index, policy=self.ddl_policy)

        record = ddl.run(
            self.connection,
            lambda: run_once(sql, params),
            sql=text,
            policy=self.ddl_policy,
            before_retry=drop_left_over_index,
            relations=ddl.autovacuum_conflicts(statements),
        )
        self.ddl_records.append(record)


class DatabaseSchemaEditor(DatabaseSchemaEditorMixin, RetryingExecuteMixin):
    """Emit zero-downtime SQL and run every statement with lock timeout and retries.

    ``atomic_requested`` keeps the migration's ``atomic`` flag, which the zero-downtime mixin
    discards (it runs each statement in autocommit), so concurrent operations can still refuse
    a migration that asked for a transaction.
    """

    def __init__(self, connection: Any, collect_sql: bool = False, atomic: bool = True) -> None:
        self.atomic_requested = atomic
        self.ddl_policy = ddl.RetryPolicy.from_settings()
        self.ddl_records = []
        super().__init__(connection, collect_sql=collect_sql, atomic=atomic)
        if collect_sql:
            self.collected_sql.append(f"SET lock_timeout TO '{self.ddl_policy.lock_timeout}';")

    def __enter__(self) -> DatabaseSchemaEditor:
        """Keep index builds to one core so the application's queries keep the others, and
        compress the WAL they write (:mod:`zerodowntime.db.wal`)."""
        editor = super().__enter__()
        if not self.collect_sql:
            workers = str(conf.get().ddl_maintenance_workers)
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT current_setting('max_parallel_maintenance_workers'),"
                    " set_config('max_parallel_maintenance_workers', %s, false)",
                    [workers],
                )
                self._previous_maintenance_workers = cursor.fetchone()[0]
            self._wal = compressed_wal(self.connection)
            self._wal.__enter__()
        return editor

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        """Restore the session's parallel maintenance workers and WAL compression."""
        previous = getattr(self, "_previous_maintenance_workers", None)
        wal = getattr(self, "_wal", None)
        try:
            super().__exit__(exc_type, exc_value, traceback)
        finally:
            if wal is not None and self.connection.connection is not None:
                with contextlib.suppress(DatabaseError):
                    wal.__exit__(None, None, None)
            if previous is not None and self.connection.connection is not None:
                with contextlib.suppress(DatabaseError), self.connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('max_parallel_maintenance_workers', %s, false)",
                        [previous],
                    )

    @contextmanager
    def _set_operation_timeout(
        self, statement_timeout: Any = None, lock_timeout: Any = None
    ) -> Iterator[None]:
        """Keep the statement timeout; every statement already runs under the lock timeout."""
        with super()._set_operation_timeout(statement_timeout, None):
            yield
