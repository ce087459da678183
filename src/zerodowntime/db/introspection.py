"""Read what PostgreSQL's catalog says about indexes, constraints and columns."""

from __future__ import annotations

import enum

from django.db.backends.base.base import BaseDatabaseWrapper


class IndexState(enum.Enum):
    """Whether an index of a given name exists, and whether PostgreSQL may use it."""

    MISSING = "missing"
    INVALID = "invalid"
    VALID = "valid"


def index_state(connection: BaseDatabaseWrapper, name: str) -> IndexState:
    """Return the state of the index called ``name`` (unquoted) in the search path."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(%s)",
            [connection.ops.quote_name(name)],
        )
        row = cursor.fetchone()
    if row is None:
        return IndexState.MISSING
    return IndexState.VALID if row[0] else IndexState.INVALID


def index_table(connection: BaseDatabaseWrapper, name: str) -> str | None:
    """Return the table the index called ``name`` belongs to, or None without such an index."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "WHERE i.indexrelid = to_regclass(%s)",
            [connection.ops.quote_name(name)],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def constraint_exists(connection: BaseDatabaseWrapper, table: str, name: str) -> bool:
    """Return True when ``table`` has a constraint called ``name``."""
    return constraint_validated(connection, table, name) is not None


def constraint_validated(connection: BaseDatabaseWrapper, table: str, name: str) -> bool | None:
    """Return whether the constraint is validated, or None when it does not exist."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT convalidated FROM pg_constraint "
            "WHERE conrelid = to_regclass(%s) AND conname = %s",
            [connection.ops.quote_name(table), name],
        )
        row = cursor.fetchone()
    return None if row is None else bool(row[0])


def constraint_columns(connection: BaseDatabaseWrapper, table: str, name: str) -> list[str]:
    """Return the columns of constraint ``name`` on ``table``, in key order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_constraint c "
            "CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, position) "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum "
            "WHERE c.conrelid = to_regclass(%s) AND c.conname = %s ORDER BY k.position",
            [connection.ops.quote_name(table), name],
        )
        return [row[0] for row in cursor.fetchall()]


def column_is_nullable(connection: BaseDatabaseWrapper, table: str, column: str) -> bool:
    """Return True when ``column`` of ``table`` accepts NULL (raise LookupError if missing)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT NOT attnotnull FROM pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attname = %s AND attnum > 0 "
            "AND NOT attisdropped",
            [connection.ops.quote_name(table), column],
        )
        row = cursor.fetchone()
    if row is None:
        raise LookupError(f'Column "{column}" of table "{table}" does not exist.')
    return bool(row[0])
