"""GraphQL policy on SDL strings."""

from __future__ import annotations

from pathlib import Path

from zerodowntime.checks.graphql_policy import check_snapshots, compare_releases, write_snapshots

OLD = 'type Query { a: Int b: Int @deprecated(reason: "gone soon") c(x: Int, y: Int): Int }'


def rules(new: str) -> list[str]:
    return [finding.rule for finding in compare_releases("1", OLD, "2", new)]


def test_removing_a_deprecated_field_is_allowed() -> None:
    assert rules("type Query { a: Int c(x: Int, y: Int): Int }") == []


def test_removing_a_field_or_argument_not_deprecated_is_breaking() -> None:
    assert rules("type Query { b: Int @deprecated c(x: Int, y: Int): Int }") == ["ZDT301"]
    assert rules('type Query { a: Int b: Int @deprecated(reason: "r") c(x: Int): Int }') == [
        "ZDT301"
    ]


def test_dangerous_and_newly_deprecated_are_reported_not_blocking() -> None:
    findings = compare_releases(
        "1",
        OLD,
        "2",
        'type Query { a: Int @deprecated(reason: "r") b: Int @deprecated(reason: "gone soon") '
        "c(x: Int, y: Int, z: Int): Int }",
    )
    assert [(f.rule, f.blocks) for f in findings] == [("ZDT302", False), ("ZDT304", False)]


def test_snapshot_mismatch_until_written(tmp_path: Path) -> None:
    assert [f.rule for f in check_snapshots({"1": OLD}, tmp_path)] == ["ZDT303"]
    write_snapshots({"1": OLD}, tmp_path)
    assert check_snapshots({"1": OLD}, tmp_path) == []
    assert [f.rule for f in check_snapshots({"1": OLD + " "}, tmp_path)] == []
    assert [f.rule for f in check_snapshots({"1": "type Query { a: Int }"}, tmp_path)] == ["ZDT303"]
