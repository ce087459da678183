"""The database a rehearsal from git starts from: kept, copied next time, rebuilt on asking."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection

from tests.zerodowntime.child_project import database_url, query
from zerodowntime.rehearsal.start_database import copy_kept, forget, keep, kept_name
from zerodowntime.scratch import create_database, drop_database


@pytest.fixture
def names(django_db_blocker: object) -> Iterator[tuple[str, str, str]]:
    """Yield a rehearsal database's name, a second one's and a kept copy's; drop all three after."""
    suffix = uuid.uuid4().hex[:8]
    found = (f"zdt_reh_{suffix}", f"zdt_reh2_{suffix}", kept_name(suffix, 20, ()))
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        yield found
        for name in found:
            drop_database(connection, name)


def _databases() -> set[str]:
    return {str(row[0]) for row in query("postgres", "SELECT datname FROM pg_database")}


def test_the_name_changes_with_the_commit_and_the_rows() -> None:
    name = kept_name("abc", 20, ("library.Book=60",))
    assert name.startswith("zdt_start_") and len(name) <= 63
    assert name == kept_name("abc", 20, ("library.Book=60",))
    others = {kept_name("abd", 20, ()), kept_name("abc", 21, ()), kept_name("abc", 20, ())}
    assert name not in others and len(others) == 3


def test_a_kept_copy_is_copied_with_its_rows_and_the_models_left_out(
    names: tuple[str, str, str],
) -> None:
    first, second, kept = names
    assert copy_kept(connection, second, kept) is None  # nothing kept yet, nothing created
    assert second not in _databases()

    create_database(connection, first)
    with psycopg.connect(database_url(first), autocommit=True) as conn:
        conn.execute("CREATE TABLE book (title text)")
        conn.execute("INSERT INTO book VALUES ('kept')")
    keep(connection, first, kept, {"library.Shelf": "IntegrityError: shelf_code"})

    assert copy_kept(connection, second, kept) == {"library.Shelf": "IntegrityError: shelf_code"}
    assert query(second, "SELECT title FROM book") == [("kept",)]

    forget(connection, kept)
    assert kept not in _databases()
    assert copy_kept(connection, second, kept) is None


def test_a_copy_interrupted_before_its_comment_is_dropped_not_used(
    names: tuple[str, str, str],
) -> None:
    first, second, kept = names
    create_database(connection, kept)  # as if `keep` stopped before COMMENT ON DATABASE
    assert copy_kept(connection, second, kept) is None
    assert kept not in _databases() and second not in _databases()
