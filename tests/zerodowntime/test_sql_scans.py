"""``zerodowntime.sql.scanned_tables``: the tables a data statement goes through row by row."""

from __future__ import annotations

import pytest

from zerodowntime.sql import Relation, scanned_tables


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ("UPDATE a SET x = 1 FROM b WHERE a.id = b.id", ["a", "b"]),
        ("DELETE FROM a USING b WHERE a.id = b.id", ["a", "b"]),
        ("INSERT INTO a (x) SELECT y FROM b", ["b"]),
        ("INSERT INTO a (x) VALUES ($1)", []),
        ('SELECT "t"."id" FROM "t" WHERE x IN (SELECT y FROM "Big T")', ["t", "Big T"]),
        ("SELECT * FROM t WHERE id = $1 LIMIT 21", []),
        ("WITH c AS (SELECT * FROM z) SELECT * FROM c", ["z"]),
        ("WITH w AS (UPDATE a SET x = 1 RETURNING id) SELECT * FROM w", ["a"]),
        ("MERGE INTO a USING b ON a.id = b.id WHEN MATCHED THEN DELETE", ["a", "b"]),
        ("UPDATE a SET x = 1; UPDATE a SET y = 2; DELETE FROM b", ["a", "b"]),
        ("ALTER TABLE a ADD COLUMN b int", []),
        ("CREATE INDEX i ON a (b)", []),
        ("SET lock_timeout = '1s'", []),
        ("not sql at all (", []),
    ],
)
def test_scanned_tables(sql: str, tables: list[str]) -> None:
    assert [table.name for table in scanned_tables(sql)] == tables


def test_a_schema_qualified_table_keeps_its_schema() -> None:
    assert scanned_tables("UPDATE shop.item SET n = 0") == (Relation("item", "shop"),)
