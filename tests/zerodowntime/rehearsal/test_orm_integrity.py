"""The generic rehearsal's integrity checks against a real table, and the ``--rows`` syntax."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from zerodowntime.rehearsal.orm_integrity import (
    AcknowledgedDeletes,
    AcknowledgedWrites,
    expected_rows,
)
from zerodowntime.rehearsal.orm_models import RowsError, parse_rows
from zerodowntime.rehearsal.records import CheckResult
from zerodowntime.scratch import scratch_database, with_database_name


def ack(kind: str, pk: int, **values: Any) -> dict[str, Any]:
    """Return an acknowledgement of ``thing`` row ``pk`` as an ORM client writes it."""
    return {
        "kind": kind,
        "model": "app.Thing",
        "table": "thing",
        "pk_column": "id",
        "pk": str(pk),
        "values": values,
    }


ACKS = [
    ack("write", 1, name="one", n=1, flag=True, dropped="x"),
    ack("write", 2, name="two", n=2, flag=False),
    ack("write", 1, name="uno"),  # an update of row 1: n and flag stay as created
    ack("delete", 2),
    ack("write", 3, name="three", n=3, flag=True),
]


@pytest.fixture
def cursor() -> Iterator[psycopg.Cursor[Any]]:
    """Return a cursor on a scratch database holding what the acknowledgements say."""
    name = f"zdt_orm_integrity_{uuid.uuid4().hex[:8]}"
    with scratch_database(os.environ["DATABASE_URL"], name):
        url = with_database_name(os.environ["DATABASE_URL"], name)
        with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE thing (id bigint PRIMARY KEY, name text, n int, flag bool)")
            cur.execute("INSERT INTO thing VALUES (1, 'uno', 1, true), (3, 'three', 3, true)")
            yield cur


def test_the_last_acknowledgement_of_a_row_decides_and_writes_merge() -> None:
    rows = expected_rows(ACKS)
    assert rows[("thing", "id", "1")].exists
    assert rows[("thing", "id", "1")].values == {
        "name": "uno",
        "n": 1,
        "flag": True,
        "dropped": "x",
    }
    assert not rows[("thing", "id", "2")].exists


def test_rows_as_acknowledged_pass_and_a_dropped_column_is_not_checked(
    cursor: psycopg.Cursor[Any],
) -> None:
    writes = AcknowledgedWrites().run(cursor, ACKS)
    assert writes == CheckResult(
        "acknowledged ORM writes",
        CheckResult.PASSED,
        "2 rows created or updated are there with their values",
    )
    deletes = AcknowledgedDeletes().run(cursor, ACKS)
    assert deletes.status == CheckResult.PASSED and deletes.detail == "1 deleted rows are gone"


def test_a_lost_write_a_changed_value_and_a_deleted_row_still_there_fail(
    cursor: psycopg.Cursor[Any],
) -> None:
    cursor.execute("UPDATE thing SET n = 7 WHERE id = 1")
    cursor.execute("DELETE FROM thing WHERE id = 3")
    cursor.execute("INSERT INTO thing VALUES (2, 'two', 2, false)")
    writes = AcknowledgedWrites().run(cursor, ACKS)
    assert writes.status == CheckResult.FAILED
    assert writes.detail == "2 of 2: app.Thing id=1: n is 7, written 1; app.Thing id=3 is missing"
    deletes = AcknowledgedDeletes().run(cursor, ACKS)
    assert deletes.status == CheckResult.FAILED
    assert deletes.detail == "1 of 1: app.Thing id=2 is still there"


def test_a_table_dropped_since_is_counted_apart(cursor: psycopg.Cursor[Any]) -> None:
    cursor.execute("DROP TABLE thing")
    writes = AcknowledgedWrites().run(cursor, ACKS)
    assert writes.status == CheckResult.PASSED
    assert writes.detail.endswith("(2 in tables dropped since, not checked)")


def test_rows_are_a_count_for_every_model_or_one_per_named_model() -> None:
    assert parse_rows([]) == (100, {})
    assert parse_rows(["30", "library.Book=5", "members.Loan=0"]) == (
        30,
        {"library.Book": 5, "members.Loan": 0},
    )
    for wrong in ("many", "Book=5", "library.Book=-1", "library.Book="):
        with pytest.raises(RowsError, match="write N .every model. or app.Model=N"):
            parse_rows([wrong])
