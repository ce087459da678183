"""Which migrations' Python code is recorded, and its SQL made parsable."""

from __future__ import annotations

import pytest
from django.db import migrations

from zerodowntime.background.operations import FinishBackgroundMigrations
from zerodowntime.checks.python_sql import numbered_parameters, recording, runs_python
from zerodowntime.sql import scanned_tables


def test_db_api_placeholders_become_numbered_parameters() -> None:
    sql = 'SELECT "a"."id" FROM "a" WHERE "a"."n" = %s AND "a"."name"::text LIKE %s AND x = %(y)s'
    assert numbered_parameters(sql + " AND z = '%%'") == (
        'SELECT "a"."id" FROM "a" WHERE "a"."n" = $1 AND "a"."name"::text LIKE $2 AND x = $3'
        " AND z = '%'"
    )
    assert [t.name for t in scanned_tables(numbered_parameters(sql))] == ["a"]


def migration(*operations: object) -> migrations.Migration:
    found = migrations.Migration("0002_x", "app")
    found.operations = list(operations)
    return found


def test_python_code_is_recorded_unless_batched() -> None:
    python = migrations.RunPython(migrations.RunPython.noop)
    assert runs_python(migration(python))
    assert not runs_python(migration(migrations.RunSQL("UPDATE a SET n = 0")))
    assert not runs_python(migration(FinishBackgroundMigrations(["fill"])))


@pytest.mark.django_db
def test_a_statement_run_in_a_loop_is_recorded_once_with_its_count() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE zone (tz text)")
        with recording(connection) as executed:
            for old in ("Asia/Calcutta", "Asia/Saigon", "US/Pacific"):
                cursor.execute("UPDATE zone SET tz = %s WHERE zone.tz = %s", ["x", old])
            cursor.execute("SELECT count(*) FROM zone")
            cursor.execute("SELECT 1")  # no table: not recorded
    assert executed == {
        "UPDATE zone SET tz = $1 WHERE zone.tz = $2": 3,
        "SELECT count(*) FROM zone": 1,
    }
