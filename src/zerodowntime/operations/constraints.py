"""Turn an already-built unique index into a UNIQUE constraint without scanning the table."""

from __future__ import annotations

import logging
from typing import Any

from django.db import router
from django.db.migrations.operations.base import Operation

from zerodowntime.db.introspection import (
    IndexState,
    constraint_columns,
    constraint_exists,
    index_state,
)
from zerodowntime.operations.exceptions import IndexNotUsable
from zerodowntime.operations.guards import ensure_not_in_transaction
from zerodowntime.operations.indexes import build_index

logger = logging.getLogger("zerodowntime.ddl")

_SWAP_SUFFIX = "_zdt_swap"


class AttachUniqueConstraint(Operation):
    """Add ``UNIQUE USING INDEX``: a brief ACCESS EXCLUSIVE lock, no scan (database only).

    PostgreSQL renames the index to the constraint's name. Skipped when the constraint exists.
    Reversing rebuilds the unique index concurrently before dropping the constraint, so the
    column is never left without uniqueness; that direction needs ``atomic = False``.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(
        self,
        table: str,
        index_name: str,
        constraint_name: str | None = None,
        hints: dict[str, Any] | None = None,
    ) -> None:
        self.table = table
        self.index_name = index_name
        self.constraint_name = constraint_name or index_name
        self.hints = hints or {}

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        """Return the arguments the migration writer serializes."""
        kwargs: dict[str, Any] = {"table": self.table, "index_name": self.index_name}
        if self.constraint_name != self.index_name:
            kwargs["constraint_name"] = self.constraint_name
        if self.hints:
            kwargs["hints"] = self.hints
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label: str, state: Any) -> None:
        """Leave Django's model state unchanged (database-only operation)."""

    def attach_sql(self, schema_editor: Any) -> str:
        """Return the ADD CONSTRAINT ... UNIQUE USING INDEX statement."""
        quote = schema_editor.quote_name
        return (
            f"ALTER TABLE {quote(self.table)} ADD CONSTRAINT {quote(self.constraint_name)} "
            f"UNIQUE USING INDEX {quote(self.index_name)}"
        )

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        """Attach the index unless the constraint exists; refuse a missing or INVALID index."""
        if not router.allow_migrate(schema_editor.connection.alias, app_label, **self.hints):
            return
        if not schema_editor.collect_sql:
            connection = schema_editor.connection
            if constraint_exists(connection, self.table, self.constraint_name):
                logger.info("constraint %s already exists: nothing to attach", self.constraint_name)
                return
            state = index_state(connection, self.index_name)
            if state is not IndexState.VALID:
                raise IndexNotUsable(
                    f'Cannot attach index "{self.index_name}": it is {state.value}. Build it '
                    "first with CreateUniqueIndexConcurrently (which also repairs an INVALID one)."
                )
        schema_editor.execute(self.attach_sql(schema_editor))

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        """Rebuild the plain unique index concurrently, then drop the constraint."""
        if not router.allow_migrate(schema_editor.connection.alias, app_label, **self.hints):
            return
        ensure_not_in_transaction(self, schema_editor)
        connection = schema_editor.connection
        if not constraint_exists(connection, self.table, self.constraint_name):
            return
        quote = schema_editor.quote_name
        columns = ", ".join(
            quote(c) for c in constraint_columns(connection, self.table, self.constraint_name)
        )
        swap = self.index_name[: 63 - len(_SWAP_SUFFIX)] + _SWAP_SUFFIX
        build_index(
            schema_editor,
            self.table,
            swap,
            lambda: schema_editor.execute(
                f"CREATE UNIQUE INDEX CONCURRENTLY {quote(swap)} ON {quote(self.table)} ({columns})"
            ),
        )
        schema_editor.execute(
            f"ALTER TABLE {quote(self.table)} DROP CONSTRAINT {quote(self.constraint_name)}"
        )
        schema_editor.execute(f"ALTER INDEX {quote(swap)} RENAME TO {quote(self.index_name)}")

    def describe(self) -> str:
        """Return a one-line description for ``migrate --plan``."""
        return (
            f"Attach unique index {self.index_name} to {self.table} as constraint "
            f"{self.constraint_name}"
        )

    @property
    def migration_name_fragment(self) -> str:
        """Return the suffix ``makemigrations`` would use in a migration name."""
        return f"attach_{self.constraint_name.lower()}"
