"""Tests of the retrying schema editor (ENGINE zerodowntime.db.backends.postgres)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, migrations, models
from django.db.migrations.state import ModelState, ProjectState

from tests.zerodowntime.locking import execute, holding, use_fast_retries
from zerodowntime import ddl
from zerodowntime.db.backends.postgres.schema import DatabaseSchemaEditor
from zerodowntime.db.introspection import IndexState, index_state

APP = "zdt_schema_test"


@pytest.fixture(autouse=True)
def fast_retries(settings: Any) -> None:
    """Run every test here with short lock timeouts and back-off."""
    use_fast_retries(settings)


@pytest.fixture
def state(transactional_db: None) -> Iterator[ProjectState]:
    """Create table ``schema_t`` with rows and return a project state describing it."""
    execute("CREATE TABLE schema_t (id bigserial PRIMARY KEY, name text NOT NULL)")
    execute("INSERT INTO schema_t (name) SELECT 'n' || g FROM generate_series(1, 100) g")
    project = ProjectState()
    project.add_model(
        ModelState(
            APP,
            "Item",
            [("id", models.BigAutoField(primary_key=True)), ("name", models.TextField())],
            {"db_table": "schema_t"},
        )
    )
    yield project
    execute("DROP TABLE IF EXISTS schema_t")
    execute("DROP FUNCTION IF EXISTS schema_t_touch() CASCADE")


def apply(operation: migrations.operations.base.Operation, state: ProjectState) -> list[str]:
    """Apply ``operation`` with the project's schema editor; return the statements it ran."""
    new = state.clone()
    operation.state_forwards(APP, new)
    with connection.schema_editor() as editor:
        operation.database_forwards(APP, editor, state, new)
    return [r.sql for r in editor.ddl_records if r.attempts > 1]


def test_the_project_uses_the_retrying_editor() -> None:
    assert connection.vendor == "postgresql"
    assert connection.SchemaEditorClass is DatabaseSchemaEditor


def test_add_field_is_retried_on_lock_timeout(state: ProjectState) -> None:
    operation = migrations.AddField("Item", "extra", models.IntegerField(null=True))
    with ddl.recording() as records, holding("SELECT count(*) FROM schema_t", seconds=0.8):
        retried = apply(operation, state)
    assert retried == ['ALTER TABLE "schema_t" ADD COLUMN "extra" integer NULL']
    assert [r.outcome for r in records] == ["ok"]


def test_run_sql_and_trigger_sql_run_under_the_lock_timeout(state: ProjectState) -> None:
    trigger = migrations.RunSQL(
        [
            "CREATE FUNCTION schema_t_touch() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN NEW.name := lower(NEW.name); RETURN NEW; END $$",
            "CREATE TRIGGER schema_t_touch BEFORE INSERT ON schema_t "
            "FOR EACH ROW EXECUTE FUNCTION schema_t_touch()",
        ]
    )
    with ddl.recording() as records, holding("LOCK TABLE schema_t IN ROW EXCLUSIVE MODE", 0.8):
        retried = apply(trigger, state)
    assert retried == [trigger.sql[1]]
    assert [(r.lock_timeout, r.outcome) for r in records] == [("200ms", "ok"), ("200ms", "ok")]
    execute("INSERT INTO schema_t (name) VALUES ('LOUD')")
    assert execute("SELECT count(*) FROM schema_t WHERE name = 'loud'") == [(1,)]


def test_timed_out_concurrent_index_build_is_dropped_before_the_retry(
    state: ProjectState,
) -> None:
    operation = migrations.AddIndex("Item", models.Index(fields=["name"], name="schema_t_name"))
    # An open writing transaction makes CREATE INDEX CONCURRENTLY wait, time out and leave an
    # INVALID index; the retry must drop it first or fail with "already exists".
    with holding("INSERT INTO schema_t (name) VALUES ('open')", seconds=0.8):
        retried = apply(operation, state)
    assert retried == ['CREATE INDEX CONCURRENTLY "schema_t_name" ON "schema_t" ("name")']
    assert index_state(connection, "schema_t_name") is IndexState.VALID


def test_sql_collection_shows_the_lock_timeout_once(state: ProjectState) -> None:
    new = state.clone()
    operation = migrations.AddField("Item", "extra", models.IntegerField(null=True))
    operation.state_forwards(APP, new)
    with connection.schema_editor(collect_sql=True) as editor:
        operation.database_forwards(APP, editor, state, new)
    assert editor.collected_sql == [
        "SET lock_timeout TO '200ms';",
        'ALTER TABLE "schema_t" ADD COLUMN "extra" integer NULL;',
    ]
    assert editor.ddl_records == []


def test_editor_keeps_the_migration_atomic_flag() -> None:
    assert connection.schema_editor(atomic=True).atomic_requested is True
    assert connection.schema_editor(atomic=False).atomic_requested is False
    assert connection.schema_editor(atomic=True).atomic_migration is False


@pytest.mark.django_db(transaction=True)
def test_index_builds_use_one_core_and_the_session_setting_comes_back() -> None:
    def workers() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_parallel_maintenance_workers")
            return cursor.fetchone()[0]

    before = workers()
    with connection.schema_editor() as editor:
        assert workers() == "0"
        assert editor is not None
    assert workers() == before


def test_foreign_key_drop_after_set_constraints_runs_under_the_lock_timeout(
    state: ProjectState,
) -> None:
    # Django drops a foreign key with "SET CONSTRAINTS ... IMMEDIATE; ALTER TABLE ... DROP
    # CONSTRAINT ...": one string that starts like a session setting but takes ACCESS EXCLUSIVE.
    execute("CREATE TABLE schema_p (id bigserial PRIMARY KEY)")
    execute("ALTER TABLE schema_t ADD COLUMN parent_id bigint REFERENCES schema_p DEFERRABLE")
    parent = ModelState(
        APP, "Parent", [("id", models.BigAutoField(primary_key=True))], {"db_table": "schema_p"}
    )
    state.add_model(parent)
    item = state.models[APP, "item"]
    item.fields["parent"] = models.ForeignKey(f"{APP}.Parent", models.CASCADE, null=True)
    state.reload_model(APP, "item")
    operation = migrations.AlterField(
        "Item",
        "parent",
        models.ForeignKey(f"{APP}.Parent", models.CASCADE, null=True, db_constraint=False),
    )
    try:
        with holding("SELECT count(*) FROM schema_t", seconds=0.8):
            retried = apply(operation, state)
        [statement] = retried
        assert statement.startswith("SET CONSTRAINTS") and "DROP CONSTRAINT" in statement
        assert execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'schema_t'::regclass "
            "AND contype = 'f'"
        ) == [(0,)]
    finally:
        execute("DROP TABLE IF EXISTS schema_t, schema_p")
