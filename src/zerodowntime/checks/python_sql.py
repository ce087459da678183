"""Record the data SQL a migration's Python code runs while it is applied to the scratch database.

The scratch tables are empty, so a loop over a table runs only its first query (the SELECT or
UPDATE that goes through the table): enough to tell which tables the code would go through on
a populated database. Operations that declare ``zdt_batched = True`` (the toolkit's
``FinishBackgroundMigrations``) do their data work in batches and are not recorded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from zerodowntime.sql import scanned_tables

#: At most this many distinct statements are kept per migration.
LIMIT = 50
_PLACEHOLDER = re.compile(r"%%|%s|%\(\w+\)s")


def runs_python(migration: Any) -> bool:
    """Return True when an operation of ``migration`` runs Python code that is not batched."""
    return any(
        not operation.reduces_to_sql and not getattr(operation, "zdt_batched", False)
        for operation in migration.operations
    )


def numbered_parameters(sql: str) -> str:
    """Return DB-API SQL (``%s``, ``%(name)s``, ``%%``) with PostgreSQL's ``$1``, ``$2``, ``%``."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group() == "%%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


def _catalog(name: str, schema: str | None) -> bool:
    return schema in {"pg_catalog", "information_schema"} or name.startswith("pg_")


@contextmanager
def recording(connection: Any) -> Iterator[dict[str, int]]:
    """Yield a dict that receives each statement that goes through a table in the block.

    Each statement text (parameters numbered, values left out) is counted once per run, in the
    order first seen: a loop that runs one UPDATE per value shows as one text run many times.
    The block applies one migration (no ``post_migrate``: content types and permissions are
    created after the whole chain); the migration recorder's own table is never recorded.
    """
    from django.db.migrations.recorder import MigrationRecorder

    recorder_table = MigrationRecorder.Migration._meta.db_table
    statements: dict[str, int] = {}

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        text = numbered_parameters(sql) if params is not None else sql
        if text in statements:
            statements[text] += 1
        elif len(statements) < LIMIT:
            tables = [t for t in scanned_tables(text) if not _catalog(t.name, t.schema)]
            if tables and all(t.name != recorder_table for t in tables):
                statements[text] = 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield statements
