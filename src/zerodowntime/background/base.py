"""How a project defines a backfill: a table, a pending condition and the work for a pk range."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar


class Backfill(ABC):
    """A named, idempotent data change run in primary-key batches by the runner.

    Subclasses set ``name`` (unique), ``table``, ``pending_condition`` (an SQL boolean, true for
    the rows still to do) and implement :meth:`process_batch`.
    """

    name: ClassVar[str]
    table: ClassVar[str]
    pk_column: ClassVar[str] = "id"
    pending_condition: ClassVar[str]
    batch_size: ClassVar[int | None] = None
    description: ClassVar[str] = ""

    @abstractmethod
    def process_batch(self, cursor: Any, lower: int, upper: int) -> int:
        """Change the pending rows with ``lower < pk <= upper``; return how many changed.

        Runs in the caller's transaction (never commit here) and must be idempotent.
        """

    def quoted_table(self, cursor: Any) -> str:
        """Return the table name quoted for SQL."""
        return quote_name(cursor, self.table)

    def quoted_pk(self, cursor: Any) -> str:
        """Return the primary key column quoted for SQL."""
        return quote_name(cursor, self.pk_column)


class SqlBackfill(Backfill):
    """A backfill whose batch is one SQL statement with ``%(lower)s`` and ``%(upper)s``.

    Example::

        class CreatedAtBackfill(SqlBackfill):
            name = "product.created_at"
            table = "product_product"
            pending_condition = "created_at IS NULL"
            update_sql = (
                "UPDATE product_product SET created_at = created"
                " WHERE id > %(lower)s AND id <= %(upper)s AND created_at IS NULL"
            )
    """

    update_sql: ClassVar[str]

    def process_batch(self, cursor: Any, lower: int, upper: int) -> int:
        """Run ``update_sql`` for the range and return the rows it changed."""
        cursor.execute(self.update_sql, {"lower": lower, "upper": upper})
        return max(cursor.rowcount, 0)


def quote_name(cursor: Any, name: str) -> str:
    """Quote a possibly schema-qualified identifier (``schema.table`` or ``table``)."""
    connection = getattr(cursor, "db", None)
    if connection is not None:
        return ".".join(connection.ops.quote_name(part) for part in name.split("."))
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))
