"""Tests of SetNotNullSafely."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, migrations, models
from django.db.migrations.state import ProjectState

from tests.zerodowntime.locking import execute
from tests.zerodowntime.operations.applying import backwards, collected, forwards
from tests.zerodowntime.operations.conftest import TABLE
from zerodowntime.db.introspection import column_is_nullable
from zerodowntime.operations import NullValuesRemain, SetNotNullSafely, UnsupportedChange

SET_NOT_NULL = SetNotNullSafely("Item", "created", models.DateTimeField())


def check_constraints() -> list[str]:
    """Return the names of the CHECK constraints on the table."""
    rows = execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'c'",
        [TABLE],
    )
    return [row[0] for row in rows]


def steps(check: str) -> list[str]:
    """Return the four statements, in order, for check constraint ``check``."""
    return [
        f'ALTER TABLE "ops_item" ADD CONSTRAINT "{check}" CHECK ("created" IS NOT NULL) NOT VALID',
        f'ALTER TABLE "ops_item" VALIDATE CONSTRAINT "{check}"',
        'ALTER TABLE "ops_item" ALTER COLUMN "created" SET NOT NULL',
        f'ALTER TABLE "ops_item" DROP CONSTRAINT "{check}"',
    ]


def check_name() -> str:
    """Return the name the editor gives the temporary check."""
    with connection.schema_editor() as editor:
        return editor._create_index_name(TABLE, ["created"], suffix="_notnull")


def test_good_flow_sets_not_null_and_leaves_no_check(state: ProjectState) -> None:
    new, statements = forwards(SET_NOT_NULL, state)

    assert statements == steps(check_name())
    assert not column_is_nullable(connection, TABLE, "created")
    assert check_constraints() == []
    plain = state.clone()
    migrations.AlterField("Item", "created", models.DateTimeField()).state_forwards(
        "zdt_ops_test", plain
    )
    assert new.models == plain.models


def test_rerun_after_success_does_nothing(state: ProjectState) -> None:
    forwards(SET_NOT_NULL, state)
    _, statements = forwards(SET_NOT_NULL, state)
    assert statements == []


def test_rerun_after_an_interruption_finishes_the_steps(state: ProjectState) -> None:
    check = check_name()
    execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{check}" CHECK (created IS NOT NULL) NOT VALID')

    _, statements = forwards(SET_NOT_NULL, state)

    assert statements == steps(check)[1:]
    assert check_constraints() == []


def test_rerun_after_not_null_was_set_drops_the_left_over_check(state: ProjectState) -> None:
    check = check_name()
    execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{check}" CHECK (created IS NOT NULL)')
    execute(f"ALTER TABLE {TABLE} ALTER COLUMN created SET NOT NULL")

    _, statements = forwards(SET_NOT_NULL, state)

    assert statements == steps(check)[3:]
    assert check_constraints() == []


def test_bad_flow_nulls_left_raise_and_leave_no_check(state: ProjectState) -> None:
    execute(f"UPDATE {TABLE} SET created = NULL WHERE id = 7")

    with pytest.raises(NullValuesRemain, match='Column "created" of "ops_item" still has NULL'):
        forwards(SET_NOT_NULL, state)

    assert column_is_nullable(connection, TABLE, "created")
    assert check_constraints() == []
    execute(f"INSERT INTO {TABLE} (name) VALUES ('old code still writes NULL')")


def test_backwards_drops_not_null(state: ProjectState) -> None:
    forwards(SET_NOT_NULL, state)
    assert backwards(SET_NOT_NULL, state) == [
        'ALTER TABLE "ops_item" ALTER COLUMN "created" DROP NOT NULL'
    ]
    assert column_is_nullable(connection, TABLE, "created")


def test_python_default_is_never_back_filled(state: ProjectState) -> None:
    execute(f"UPDATE {TABLE} SET created = NULL WHERE id = 7")
    operation = SetNotNullSafely("Item", "created", models.DateTimeField(auto_now_add=True))
    with pytest.raises(NullValuesRemain):
        forwards(operation, state)
    assert execute(f"SELECT created FROM {TABLE} WHERE id = 7") == [(None,)]


@pytest.mark.parametrize(
    "field",
    [models.DateTimeField(null=True), models.DateField(), models.DateTimeField(db_index=True)],
    ids=["still-null", "type-change", "index-change"],
)
def test_bad_flow_refuses_other_changes(state: ProjectState, field: models.Field) -> None:
    with pytest.raises(UnsupportedChange):
        forwards(SetNotNullSafely("Item", "created", field), state)
    assert column_is_nullable(connection, TABLE, "created")


def test_sqlmigrate_shows_the_four_steps(state: ProjectState) -> None:
    assert collected(SET_NOT_NULL, state) == [f"{s};" for s in steps(check_name())]


def test_an_integrity_error_is_not_confused_with_other_errors(state: ProjectState) -> None:
    assert issubclass(NullValuesRemain, ValueError)
    assert not issubclass(NullValuesRemain, IntegrityError)
