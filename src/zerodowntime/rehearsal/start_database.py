"""Keep the database a rehearsal from git starts from, migrated and populated, for the next run.

Migrating a fresh database to the first release costs as much as a first install of the project
(hundreds of migrations take many minutes). After the first run, a copy of the database as it
stood before the traffic began is kept on the same server, named from what made it: the
release's commit, the rows asked for and the toolkit's version. The next rehearsal with the same
start copies it (``CREATE DATABASE ... TEMPLATE``, seconds) instead of migrating again.
``zdt rehearse --fresh-database`` drops the copy and builds it anew.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from zerodowntime.scratch import create_database, drop_database

PREFIX = "zdt_start_"


def _toolkit_version() -> str:
    try:
        return version("zerodowntime")
    except PackageNotFoundError:  # run from a source tree
        return "source"


def kept_name(commit: str, rows: int, model_rows: tuple[str, ...]) -> str:
    """Return the name of the kept copy for a start at ``commit`` with these rows."""
    key = json.dumps([commit, rows, sorted(model_rows), _toolkit_version()])
    return PREFIX + hashlib.sha256(key.encode()).hexdigest()[:16]


def _comment(connection: Any, kept: str) -> str | None:
    """Return the kept copy's comment ('' without one), or None when there is no such copy."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database"
            " WHERE datname = %s",
            [kept],
        )
        row = cursor.fetchone()
    return None if row is None else str(row[0])


def copy_kept(connection: Any, name: str, kept: str) -> dict[str, str] | None:
    """Create database ``name`` as a copy of ``kept``; return the models left out of it.

    Return None, creating nothing, when no complete copy is kept (a copy without its comment was
    interrupted while being made and is dropped).
    """
    comment = _comment(connection, kept)
    if comment is None:
        return None
    try:
        left_out = json.loads(comment)["left_out"]
    except (ValueError, KeyError, TypeError):
        drop_database(connection, kept)
        return None
    create_database(connection, name, template=kept)
    return dict(left_out)


def keep(connection: Any, name: str, kept: str, left_out: dict[str, str]) -> None:
    """Keep a copy of database ``name`` as ``kept``, with the models left out of it."""
    create_database(connection, kept, template=name)
    comment = json.dumps({"left_out": left_out})
    with connection.cursor() as cursor:
        cursor.execute(f"COMMENT ON DATABASE {connection.ops.quote_name(kept)} IS %s", [comment])


def forget(connection: Any, kept: str) -> None:
    """Drop the kept copy ``kept`` if there is one."""
    drop_database(connection, kept)
