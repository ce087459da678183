"""The migration operations, applied through real migrations of small fixture apps."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command
from django.db import connection, migrations
from django.db.migrations.state import ProjectState
from django.db.migrations.writer import MigrationWriter

from tests.zerodowntime.background.backfills import FLOW_TABLE
from tests.zerodowntime.background.fixtures import ItemsTable, flow_app, flow_histogram
from zerodowntime.background.exceptions import BackfillError, BackfillNotFinished
from zerodowntime.background.models import BackgroundMigration
from zerodowntime.background.operations import (
    FinishBackgroundMigrations,
    RegisterBackgroundMigration,
)
from zerodowntime.background.runner import run_backfill

Status = BackgroundMigration.Status


def table_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [name])
        return cursor.fetchone()[0] is not None


@pytest.mark.django_db(transaction=True)
def test_register_then_finish_inline_from_the_cursor(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="zerodowntime")
    with flow_app("good_flow"):
        call_command("migrate", "good_flow", "0001", verbosity=0)
        record = BackgroundMigration.objects.get(name="flow_counter")
        assert record.status == Status.PENDING and flow_histogram() == {0: 500}
        with connection.cursor() as cursor:  # a worker got as far as id 200
            cursor.execute(
                f"UPDATE {FLOW_TABLE} SET filled = true, times_filled = 1 WHERE id <= 200"
            )
        BackgroundMigration.objects.filter(name="flow_counter").update(
            cursor=200, rows_done=200, status=Status.RUNNING, batch_size=50
        )

        call_command("migrate", "good_flow", verbosity=0)

        record = BackgroundMigration.objects.get(name="flow_counter")
        assert record.status == Status.DONE and record.rows_done == 500
        assert flow_histogram() == {1: 500}
        assert "running from id 200" in caplog.text
        assert "background migration 'flow_counter' is finished: 500 rows" in caplog.text
    assert not BackgroundMigration.objects.filter(name="flow_counter").exists()
    assert not table_exists(FLOW_TABLE)


@pytest.mark.django_db(transaction=True)
def test_registering_twice_keeps_the_record() -> None:
    with flow_app("good_flow"):
        call_command("migrate", "good_flow", "0001", verbosity=0)
        BackgroundMigration.objects.filter(name="flow_counter").update(cursor=42)
        with connection.schema_editor() as editor:
            RegisterBackgroundMigration("flow_counter").database_forwards(
                "good_flow", editor, ProjectState(), ProjectState()
            )
        assert BackgroundMigration.objects.get(name="flow_counter").cursor == 42


@pytest.mark.django_db(transaction=True)
def test_finishing_inline_refuses_inside_an_atomic_migration() -> None:
    with flow_app("bad_flow_atomic_finish"):
        call_command("migrate", "bad_flow_atomic_finish", "0001", verbosity=0)
        with pytest.raises(BackfillError, match="set atomic = False on the migration"):
            call_command("migrate", "bad_flow_atomic_finish", verbosity=0)
        assert flow_histogram() == {0: 500}


@pytest.mark.django_db(transaction=True)
def test_without_inline_an_unfinished_backfill_stops_with_the_command_to_run(
    items: ItemsTable,
) -> None:
    items.create(count=30)
    operation = FinishBackgroundMigrations(["test_counter"], inline=False)

    def apply() -> None:
        with connection.schema_editor(atomic=True) as editor:
            operation.database_forwards("tests", editor, ProjectState(), ProjectState())

    with pytest.raises(BackfillNotFinished, match=r"run `zdt backfills run test_counter`"):
        apply()
    run_backfill("test_counter")
    apply()
    items.insert([31])  # written by an old release after the backfill finished
    with pytest.raises(BackfillNotFinished, match=r"\(done, 1 rows pending\)"):
        apply()


def test_operations_survive_a_round_trip_through_the_migration_writer() -> None:
    operations = [
        RegisterBackgroundMigration("product_slug"),
        FinishBackgroundMigrations(["product_slug", "product_created_at"]),
        FinishBackgroundMigrations(["product_slug"], inline=False),
    ]
    migration = type(
        "Migration",
        (migrations.Migration,),
        {"operations": operations, "dependencies": [("zdt_background", "0001_initial")]},
    )("0002_example", "product")
    source = MigrationWriter(migration).as_string()
    namespace: dict[str, object] = {}
    exec(compile(source, "0002_example.py", "exec"), namespace)

    rebuilt = namespace["Migration"].operations  # type: ignore[attr-defined]
    assert [op.deconstruct() for op in rebuilt] == [op.deconstruct() for op in operations]
    assert "import zerodowntime.background.operations" in source


def test_operations_describe_themselves_and_change_no_model_state() -> None:
    register = RegisterBackgroundMigration("product.slug")
    finish = FinishBackgroundMigrations(["product.slug", "created_at"], inline=False)
    state = ProjectState()
    register.state_forwards("product", state)
    finish.state_forwards("product", state)

    assert state.models == {}
    assert register.describe() == "Register background migration product.slug"
    assert register.migration_name_fragment == "register_product_slug"
    assert finish.describe() == "Finish background migrations product.slug, created_at (or stop)"
    assert finish.migration_name_fragment == "finish_product_slug_created_at"
    assert register.reversible and finish.reversible
