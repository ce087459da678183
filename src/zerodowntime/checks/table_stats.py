"""Read the size of tables in a database that ``zdt check --database-url`` only looks at.

The connection is read-only (``default_transaction_read_only``) with a short
``statement_timeout`` and ``lock_timeout``; it reads PostgreSQL's statistics (``pg_class``,
``pg_stat_user_tables``), the size functions and ``django_migrations``, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from zerodowntime.sql import Relation

#: Session settings of the connection: nothing can be written, nothing waits long.
OPTIONS = "-c default_transaction_read_only=on -c statement_timeout=5s -c lock_timeout=1s"
CONNECT_TIMEOUT = 5

# Rows: PostgreSQL's estimate from the last VACUUM or ANALYZE, else the live rows counted by the
# statistics system (a table never vacuumed nor analyzed has reltuples -1). A partitioned table
# is the sum of its leaf partitions (autovacuum never analyzes the parent itself).
_TABLES_SQL = """
WITH named AS (
    SELECT c.oid, n.nspname, c.relname
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'm') AND c.relname = ANY(%s)
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
), parts AS (
    SELECT named.oid AS parent, coalesce(tree.relid, named.oid) AS part
    FROM named
    LEFT JOIN LATERAL pg_partition_tree(named.oid) tree ON tree.isleaf
)
SELECT named.nspname, named.relname,
       sum(CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint
                ELSE coalesce(s.n_live_tup, 0) END),
       sum(pg_table_size(c.oid)), sum(pg_indexes_size(c.oid))
FROM named
JOIN parts ON parts.parent = named.oid
JOIN pg_class c ON c.oid = parts.part
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
GROUP BY named.nspname, named.relname
"""


class StatsError(RuntimeError):
    """The database to look at cannot be read (one sentence, no traceback)."""


@dataclass(frozen=True)
class TableStats:
    """One table of the database looked at: its rows and its sizes in bytes."""

    schema: str
    name: str
    rows: int
    table_bytes: int  # the heap and its TOAST
    index_bytes: int


@dataclass
class DatabaseStats:
    """What was read from the database looked at: its tables and the migrations applied there."""

    where: str
    search_path: tuple[str, ...] = ()
    tables: dict[tuple[str, str], TableStats] = field(default_factory=dict)
    applied: frozenset[str] = frozenset()

    def table(self, relation: Relation) -> TableStats | None:
        """Return the table ``relation`` names there, resolved as its search_path does."""
        schemas = (relation.schema,) if relation.schema else self.search_path
        for schema in schemas:
            found = self.tables.get((schema, relation.name))
            if found is not None:
                return found
        return None

    def pending(self, migration: str) -> bool:
        """Return True when ``app_label.name`` is not applied in that database."""
        return migration not in self.applied


def describe(url: str) -> str:
    """Return the database ``url`` names as ``database NAME on HOST:PORT`` (no password)."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except psycopg.Error as exc:  # neither a URL nor a connection string
        raise StatsError(
            f"the database URL to look at is not a PostgreSQL URL ({_first_line(exc)})"
        ) from None
    host = parts.get("host") or "the local socket"
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"database {parts.get('dbname') or '(default)'} on {host}{port}"


class Looker:
    """A read-only connection to the database to look at."""

    def __init__(self, connection: Any, where: str) -> None:
        self.connection = connection
        self.where = where

    def read(self, names: Iterable[str]) -> DatabaseStats:
        """Return the statistics of the tables called ``names`` and the applied migrations."""
        import psycopg

        try:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT current_schemas(false)")
                search_path = tuple(_one(cursor))
                cursor.execute(_TABLES_SQL, (sorted(set(names)),))
                tables = {
                    (schema, name): TableStats(schema, name, int(rows), int(heap), int(indexes))
                    for schema, name, rows, heap, indexes in cursor.fetchall()
                }
                cursor.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
                applied: frozenset[str] = frozenset()
                if _one(cursor):
                    cursor.execute("SELECT app || '.' || name FROM django_migrations")
                    applied = frozenset(row[0] for row in cursor.fetchall())
        except psycopg.Error as exc:
            raise StatsError(
                f"cannot read table sizes from {self.where}: {_first_line(exc)}"
            ) from None
        return DatabaseStats(self.where, search_path, tables, applied)


def _one(cursor: Any) -> Any:
    """Return the single value of the row the cursor's query returned."""
    row = cursor.fetchone()
    return row[0] if row else None


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


@contextmanager
def looking_at(url: str) -> Iterator[Looker]:
    """Open a read-only connection to the database ``url`` names; raise StatsError if none."""
    import psycopg

    where = describe(url)
    try:
        connection = psycopg.connect(
            url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT,
            options=OPTIONS,
            application_name="zdt check",
        )
    except psycopg.Error as exc:
        raise StatsError(f"cannot connect to {where}: {_first_line(exc)}") from None
    try:
        yield Looker(connection, where)
    finally:
        connection.close()
