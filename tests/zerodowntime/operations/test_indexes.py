"""Tests of CreateIndexConcurrently and CreateUniqueIndexConcurrently."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.db.migrations.state import ProjectState

from tests.zerodowntime.locking import execute
from tests.zerodowntime.operations.applying import backwards, collected, forwards
from tests.zerodowntime.operations.conftest import TABLE
from zerodowntime.db.introspection import IndexState, index_state
from zerodowntime.operations import (
    CreateIndexConcurrently,
    CreateUniqueIndexConcurrently,
    IndexNotUsable,
    TransactionNotAllowed,
)

NAME_INDEX = CreateIndexConcurrently("Item", models.Index(fields=["name"], name="ops_item_name"))
SLUG_UNIQUE = CreateUniqueIndexConcurrently(TABLE, "ops_item_slug_uniq", ["slug"])


def leave_invalid_unique_index(name: str, column: str) -> None:
    """Make a unique build fail on duplicates, leaving an INVALID index called ``name``."""
    execute(f"UPDATE {TABLE} SET {column} = 'dup' WHERE id IN (1, 2)")
    with pytest.raises(IntegrityError):
        execute(f"CREATE UNIQUE INDEX CONCURRENTLY {name} ON {TABLE} ({column})")
    assert index_state(connection, name) is IndexState.INVALID
    execute(f"UPDATE {TABLE} SET {column} = 'fixed-' || id WHERE id IN (1, 2)")


def test_good_flow_index_is_built_then_left_alone_then_dropped(state: ProjectState) -> None:
    new, first = forwards(NAME_INDEX, state)
    _, second = forwards(NAME_INDEX, state)
    dropped = backwards(NAME_INDEX, state)

    assert first == ['CREATE INDEX CONCURRENTLY "ops_item_name" ON "ops_item" ("name")']
    assert second == []
    assert dropped == ['DROP INDEX CONCURRENTLY IF EXISTS "ops_item_name"']
    assert index_state(connection, "ops_item_name") is IndexState.MISSING
    assert [i.name for i in new.models["zdt_ops_test", "item"].options["indexes"]] == [
        "ops_item_name"
    ]


def test_bad_flow_invalid_index_is_detected_and_rebuilt(state: ProjectState) -> None:
    leave_invalid_unique_index("ops_item_name", "name")

    _, statements = forwards(NAME_INDEX, state)

    assert statements == [
        'DROP INDEX CONCURRENTLY IF EXISTS "ops_item_name"',
        'CREATE INDEX CONCURRENTLY "ops_item_name" ON "ops_item" ("name")',
    ]
    assert index_state(connection, "ops_item_name") is IndexState.VALID


def test_bad_flow_unique_index_over_duplicates_fails_then_is_rebuilt(
    state: ProjectState,
) -> None:
    execute(f"UPDATE {TABLE} SET slug = 'dup' WHERE id IN (1, 2)")
    with pytest.raises(IntegrityError):
        forwards(SLUG_UNIQUE, state)
    assert index_state(connection, "ops_item_slug_uniq") is IndexState.INVALID

    execute(f"UPDATE {TABLE} SET slug = 'fixed-' || id WHERE id IN (1, 2)")
    _, statements = forwards(SLUG_UNIQUE, state)

    assert statements == [
        'DROP INDEX CONCURRENTLY IF EXISTS "ops_item_slug_uniq"',
        'CREATE UNIQUE INDEX CONCURRENTLY "ops_item_slug_uniq" ON "ops_item" ("slug")',
    ]
    assert index_state(connection, "ops_item_slug_uniq") is IndexState.VALID


def test_good_flow_unique_index_allows_nulls_and_rejects_duplicates(state: ProjectState) -> None:
    new, _ = forwards(SLUG_UNIQUE, state)
    execute(f"INSERT INTO {TABLE} (name, slug) VALUES ('a', NULL), ('b', NULL)")
    with pytest.raises(IntegrityError):
        execute(f"INSERT INTO {TABLE} (name, slug) VALUES ('c', 's1')")
    assert new.models == state.models
    assert backwards(SLUG_UNIQUE, state) == [
        'DROP INDEX CONCURRENTLY IF EXISTS "ops_item_slug_uniq"'
    ]


@pytest.mark.parametrize("operation", [NAME_INDEX, SLUG_UNIQUE], ids=lambda o: type(o).__name__)
def test_bad_flow_refuses_an_atomic_migration_or_an_open_transaction(
    state: ProjectState, operation: CreateIndexConcurrently
) -> None:
    with pytest.raises(TransactionNotAllowed) as caught:
        forwards(operation, state, atomic=True)
    assert str(caught.value).endswith(
        "cannot be executed inside a transaction (set atomic = False on the migration)."
    )
    with transaction.atomic(), pytest.raises(TransactionNotAllowed):
        forwards(operation, state)


def test_bad_flow_refuses_a_valid_index_of_the_same_name_on_another_table(
    state: ProjectState,
) -> None:
    execute("CREATE TABLE ops_other (name text)")
    execute("CREATE INDEX ops_item_name ON ops_other (name)")
    try:
        with pytest.raises(IndexNotUsable, match='already exists on table "ops_other"'):
            forwards(NAME_INDEX, state)
    finally:
        execute("DROP TABLE ops_other")


def test_sqlmigrate_shows_the_build(state: ProjectState) -> None:
    assert collected(SLUG_UNIQUE, state) == [
        'CREATE UNIQUE INDEX CONCURRENTLY "ops_item_slug_uniq" ON "ops_item" ("slug");'
    ]
