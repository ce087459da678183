"""Tests of AttachUniqueConstraint."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection
from django.db.migrations.state import ProjectState

from tests.zerodowntime.locking import execute
from tests.zerodowntime.operations.applying import backwards, forwards
from tests.zerodowntime.operations.conftest import TABLE
from zerodowntime.db.introspection import IndexState, constraint_exists, index_state
from zerodowntime.operations import (
    AttachUniqueConstraint,
    CreateUniqueIndexConcurrently,
    IndexNotUsable,
)

ATTACH = AttachUniqueConstraint(TABLE, "ops_item_slug_uniq")


def build_index(state: ProjectState) -> None:
    """Build the unique slug index the constraint is made from."""
    forwards(CreateUniqueIndexConcurrently(TABLE, "ops_item_slug_uniq", ["slug"]), state)


def test_good_flow_attach_then_skip_then_detach(state: ProjectState) -> None:
    build_index(state)

    new, first = forwards(ATTACH, state)
    _, second = forwards(ATTACH, state)

    assert first == [
        'ALTER TABLE "ops_item" ADD CONSTRAINT "ops_item_slug_uniq" '
        'UNIQUE USING INDEX "ops_item_slug_uniq"'
    ]
    assert second == []
    assert new.models == state.models
    assert constraint_exists(connection, TABLE, "ops_item_slug_uniq")
    with pytest.raises(IntegrityError):
        execute(f"INSERT INTO {TABLE} (name, slug) VALUES ('x', 's1')")

    assert backwards(ATTACH, state) == [
        'CREATE UNIQUE INDEX CONCURRENTLY "ops_item_slug_uniq_zdt_swap" ON "ops_item" ("slug")',
        'ALTER TABLE "ops_item" DROP CONSTRAINT "ops_item_slug_uniq"',
        'ALTER INDEX "ops_item_slug_uniq_zdt_swap" RENAME TO "ops_item_slug_uniq"',
    ]
    assert not constraint_exists(connection, TABLE, "ops_item_slug_uniq")
    assert index_state(connection, "ops_item_slug_uniq") is IndexState.VALID


def test_constraint_takes_its_own_name(state: ProjectState) -> None:
    build_index(state)
    forwards(AttachUniqueConstraint(TABLE, "ops_item_slug_uniq", "ops_item_slug_key"), state)
    assert constraint_exists(connection, TABLE, "ops_item_slug_key")
    assert index_state(connection, "ops_item_slug_uniq") is IndexState.MISSING


@pytest.mark.parametrize("broken", ["missing", "invalid"])
def test_bad_flow_refuses_a_missing_or_invalid_index(state: ProjectState, broken: str) -> None:
    if broken == "invalid":
        execute(f"UPDATE {TABLE} SET slug = 'dup' WHERE id IN (1, 2)")
        with pytest.raises(IntegrityError):
            build_index(state)
    with pytest.raises(IndexNotUsable, match=f"it is {broken}. Build it first"):
        forwards(ATTACH, state)
    assert not constraint_exists(connection, TABLE, "ops_item_slug_uniq")
