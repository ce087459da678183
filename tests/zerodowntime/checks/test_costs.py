"""What a statement costs on a table of a given size (pure: no database)."""

from __future__ import annotations

import pytest

from zerodowntime.checks import costs
from zerodowntime.checks.costs import Work, dearest, estimate, work_of
from zerodowntime.sql import Lock, changes_of


def work(sql: str, **kwargs: bool) -> Work:
    return dearest([work_of(change, **kwargs) for change in changes_of(sql)])


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE INDEX i ON t (a)", Work.INDEX_BUILD),
        ("CREATE INDEX CONCURRENTLY i ON t (a)", Work.CATALOG),
        ("ALTER TABLE t ADD CONSTRAINT u UNIQUE (a)", Work.INDEX_BUILD),
        ("ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX i", Work.CATALOG),
        ("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)", Work.SCAN),
        ("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID", Work.CATALOG),
        ("ALTER TABLE t ALTER COLUMN a TYPE bigint", Work.REWRITE),
        ("ALTER TABLE t ADD COLUMN a uuid DEFAULT gen_random_uuid()", Work.REWRITE),
        ("ALTER TABLE t ADD COLUMN a int DEFAULT 0 NOT NULL", Work.CATALOG),
        ("ALTER TABLE t RENAME COLUMN a TO b", Work.CATALOG),
        ("VACUUM FULL t", Work.REWRITE),
        ("UPDATE t SET a = 0", Work.ROWS),
        ("ALTER TABLE t ADD b int, ALTER COLUMN a TYPE bigint", Work.REWRITE),
    ],
)
def test_work_of_a_statement(sql: str, expected: Work) -> None:
    assert work(sql) is expected


def test_set_not_null_scans_only_when_nothing_proves_it() -> None:
    sql = "ALTER TABLE t ALTER COLUMN a SET NOT NULL"
    assert work(sql) is Work.CATALOG
    assert work(sql, unproven_not_null=True) is Work.SCAN


def test_estimates_follow_the_measured_rates() -> None:
    scan = estimate(Work.SCAN, Lock.ACCESS_EXCLUSIVE, 1_000_000, 300 * costs.MB)
    assert scan.seconds == pytest.approx(300 / costs.SCAN_MB_PER_SECOND)
    assert "under ACCESS EXCLUSIVE (blocking reads and writes)" in scan.text
    assert costs.MEASURED in scan.text
    index = estimate(Work.INDEX_BUILD, Lock.SHARE, 2_000_000, 0)
    assert index.seconds == pytest.approx(2_000_000 / costs.INDEX_ROWS_PER_SECOND)
    assert "(blocking writes)" in index.text
    rewrite = estimate(Work.REWRITE, Lock.ACCESS_EXCLUSIVE, 10, 100 * costs.MB)
    assert rewrite.seconds == pytest.approx(100 / costs.REWRITE_MB_PER_SECOND)
    rows = estimate(Work.ROWS, Lock.ROW_EXCLUSIVE, 400_000, 0)
    assert rows.seconds == pytest.approx(400_000 / costs.UPDATE_ROWS_PER_SECOND)
    catalog = estimate(Work.CATALOG, Lock.ACCESS_EXCLUSIVE, 10**9, 10**12)
    assert catalog.seconds is None and "milliseconds at any size" in catalog.text


def test_a_loop_of_statements_costs_a_scan_each_plus_the_rows_changed() -> None:
    once = estimate(Work.ROWS, Lock.ROW_EXCLUSIVE, 200_000, 650 * 2**20)
    looped = estimate(Work.ROWS, Lock.ROW_EXCLUSIVE, 200_000, 650 * 2**20, passes=10)
    assert once.seconds is not None and looped.seconds is not None
    assert looped.seconds == pytest.approx(once.seconds + 10 * 650 / costs.SCAN_MB_PER_SECOND)
    assert "10 statements each go through all 200,000 rows (650 MB)" in looped.text
