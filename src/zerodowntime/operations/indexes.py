"""Build indexes concurrently, repairing an INVALID index left by an interrupted build."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import router
from django.db.migrations.operations.base import Operation

from zerodowntime.db.indexes import drop_index_sql
from zerodowntime.db.introspection import IndexState, index_state, index_table
from zerodowntime.operations.exceptions import IndexNotUsable
from zerodowntime.operations.guards import ensure_not_in_transaction

logger = logging.getLogger("zerodowntime.ddl")


def build_index(schema_editor: Any, table: str, name: str, create: Callable[[], None]) -> None:
    """Run ``create`` unless a valid index ``name`` exists; drop an INVALID one first."""
    if not schema_editor.collect_sql:
        connection = schema_editor.connection
        state = index_state(connection, name)
        if state is IndexState.VALID:
            owner = index_table(connection, name)
            if owner != table:
                raise IndexNotUsable(
                    f'Index "{name}" already exists on table "{owner}", not "{table}"; '
                    "choose another index name."
                )
            logger.info("index %s is already valid: nothing to build", name)
            return
        if state is IndexState.INVALID:
            logger.warning("index %s is INVALID (interrupted build): rebuilding it", name)
            schema_editor.execute(drop_index_sql(connection, name))
    create()


class CreateIndexConcurrently(AddIndexConcurrently):
    """Add a model index with CREATE INDEX CONCURRENTLY; rebuild it if a previous try left it
    INVALID, do nothing if a valid one exists. Needs ``atomic = False`` on the migration."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        """Build the index unless a valid one exists."""
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        self._ensure_not_in_transaction(schema_editor)
        build_index(
            schema_editor,
            model._meta.db_table,
            self.index.name,
            lambda: schema_editor.add_index(model, self.index, concurrently=True),
        )

    def _ensure_not_in_transaction(self, schema_editor: Any) -> None:
        ensure_not_in_transaction(self, schema_editor)

    def describe(self) -> str:
        """Return a one-line description for ``migrate --plan``."""
        return f"{super().describe()} (rebuilt if INVALID)"


class CreateUniqueIndexConcurrently(Operation):
    """Build a UNIQUE index on columns of a table concurrently (database only; NULLs allowed).

    Django's model state is not changed: pair it with ``SeparateDatabaseAndState`` when the
    model declares the uniqueness. Needs ``atomic = False`` on the migration.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(
        self, table: str, name: str, columns: Sequence[str], hints: dict[str, Any] | None = None
    ) -> None:
        if not columns:
            raise ValueError("CreateUniqueIndexConcurrently needs at least one column.")
        self.table = table
        self.name = name
        self.columns = list(columns)
        self.hints = hints or {}

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        """Return the arguments the migration writer serializes."""
        kwargs: dict[str, Any] = {"table": self.table, "name": self.name, "columns": self.columns}
        if self.hints:
            kwargs["hints"] = self.hints
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label: str, state: Any) -> None:
        """Leave Django's model state unchanged (database-only operation)."""

    def create_sql(self, schema_editor: Any) -> str:
        """Return the CREATE UNIQUE INDEX CONCURRENTLY statement."""
        quote = schema_editor.quote_name
        columns = ", ".join(quote(column) for column in self.columns)
        return (
            f"CREATE UNIQUE INDEX CONCURRENTLY {quote(self.name)} "
            f"ON {quote(self.table)} ({columns})"
        )

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        """Build the index unless a valid one exists; rebuild an INVALID one."""
        if not router.allow_migrate(schema_editor.connection.alias, app_label, **self.hints):
            return
        ensure_not_in_transaction(self, schema_editor)
        build_index(
            schema_editor,
            self.table,
            self.name,
            lambda: schema_editor.execute(self.create_sql(schema_editor)),
        )

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        """Drop the index concurrently."""
        if not router.allow_migrate(schema_editor.connection.alias, app_label, **self.hints):
            return
        ensure_not_in_transaction(self, schema_editor)
        schema_editor.execute(drop_index_sql(schema_editor.connection, self.name))

    def describe(self) -> str:
        """Return a one-line description for ``migrate --plan``."""
        return (
            f"Create unique index {self.name} on {self.table} ({', '.join(self.columns)}) "
            "concurrently (rebuilt if INVALID)"
        )

    @property
    def migration_name_fragment(self) -> str:
        """Return the suffix ``makemigrations`` would use in a migration name."""
        return self.name.lower()
