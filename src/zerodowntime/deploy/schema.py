"""Describe a table as PostgreSQL sees it: columns, indexes, constraints and triggers."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper


class UnknownTableError(LookupError):
    """The table does not exist in the database."""


@dataclass(frozen=True)
class Column:
    """A column with its type, nullability and default."""

    name: str
    type: str
    nullable: bool
    default: str | None


@dataclass(frozen=True)
class Index:
    """An index, its definition and whether PostgreSQL can use it (INVALID after a failed build)."""

    name: str
    definition: str
    unique: bool
    valid: bool


@dataclass(frozen=True)
class Constraint:
    """A constraint and whether it was validated (False for ``NOT VALID``)."""

    name: str
    kind: str
    definition: str
    validated: bool


@dataclass(frozen=True)
class Trigger:
    """A user trigger and its definition."""

    name: str
    definition: str
    enabled: bool


@dataclass(frozen=True)
class TableSchema:
    """Everything ``zdt schema`` shows about one table."""

    table: str
    columns: list[Column]
    indexes: list[Index]
    constraints: list[Constraint]
    triggers: list[Trigger]


CONSTRAINT_KINDS = {
    "c": "CHECK",
    "f": "FOREIGN KEY",
    "p": "PRIMARY KEY",
    "u": "UNIQUE",
    "x": "EXCLUDE",
    "t": "TRIGGER",
    "n": "NOT NULL",
}

COLUMNS_SQL = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid)
FROM pg_attribute a
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""
INDEXES_SQL = """
SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisunique, i.indisvalid
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = %s::regclass
ORDER BY c.relname
"""
CONSTRAINTS_SQL = """
SELECT conname, contype, pg_get_constraintdef(oid), convalidated
FROM pg_constraint WHERE conrelid = %s::regclass
ORDER BY conname
"""
TRIGGERS_SQL = """
SELECT tgname, pg_get_triggerdef(oid), tgenabled <> 'D'
FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal
ORDER BY tgname
"""


def describe_table(table: str, connection: BaseDatabaseWrapper | None = None) -> TableSchema:
    """Return the schema of ``table`` or raise :class:`UnknownTableError`."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [table])
        if cursor.fetchone()[0] is None:
            raise UnknownTableError(f"there is no table {table!r} in the database")
        cursor.execute(COLUMNS_SQL, [table])
        columns = [Column(*row) for row in cursor.fetchall()]
        cursor.execute(INDEXES_SQL, [table])
        indexes = [Index(*row) for row in cursor.fetchall()]
        cursor.execute(CONSTRAINTS_SQL, [table])
        constraints = [
            Constraint(name, CONSTRAINT_KINDS.get(kind, kind), definition, validated)
            for name, kind, definition, validated in cursor.fetchall()
        ]
        cursor.execute(TRIGGERS_SQL, [table])
        triggers = [Trigger(*row) for row in cursor.fetchall()]
    return TableSchema(table, columns, indexes, constraints, triggers)
