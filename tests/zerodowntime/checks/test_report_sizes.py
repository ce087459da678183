"""The table size of a finding, as ``zdt check`` prints it."""

from __future__ import annotations

from zerodowntime.checks.findings import Finding, Severity, TableSize
from zerodowntime.checks.report import format_finding, format_text
from zerodowntime.checks.runner import Report

MB = 2**20


def finding(size: TableSize | None) -> Finding:
    return Finding(
        "ZDT101", "index-not-concurrent", Severity.ERROR, "m", "f", "app.0002_x", "sql", size=size
    )


def test_a_sized_finding_prints_rows_sizes_and_cost() -> None:
    size = TableSize("public.item", 1_234_567, 300 * MB, 40 * MB, 2.5, "index build: ...")
    lines = format_finding(finding(size)).splitlines()
    assert lines[3] == (
        "        table: public.item, 1,234,567 rows, 300 MB + 40 MB of indexes; index build: ..."
    )
    missing = TableSize(
        "item", None, cost="not in database shop on db:5432 (no table of that name)"
    )
    assert "        table: item, not in database shop" in format_finding(finding(missing))
    assert "table:" not in format_finding(finding(None))


def test_the_summary_names_the_database_looked_at() -> None:
    report = Report([], ["1"], ["app.0001"], table_sizes_from="database shop on db:5432")
    assert format_text(report).endswith("; table sizes from database shop on db:5432")
    assert "table sizes" not in format_text(Report([], ["1"], ["app.0001"]))
