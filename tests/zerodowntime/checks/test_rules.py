"""Migration rules on hand-written captures (no database needed)."""

from __future__ import annotations

from zerodowntime.checks.facts import MigrationCapture, OperationSQL
from zerodowntime.checks.findings import apply_silences
from zerodowntime.checks.rules import lint_migrations

TIMEOUT = "SET lock_timeout TO '1s'"


def capture(name: str, *statements: str, atomic: bool = False, python: bool = False):
    operations = [OperationSQL(0, "op", statements=list(statements))]
    if python:
        operations.append(OperationSQL(1, "Raw Python operation", python=True))
    return MigrationCapture("app", name, "1", atomic, {}, operations)


def rules(*captures: MigrationCapture) -> list[str]:
    return [finding.rule for finding in lint_migrations(list(captures))]


def test_new_table_in_the_same_migration_is_exempt() -> None:
    initial = capture(
        "0001",
        "CREATE TABLE t (id bigint)",
        "CREATE INDEX i ON t (id)",
        "ALTER TABLE t ADD CONSTRAINT u UNIQUE (id)",
        atomic=True,
    )
    assert rules(initial) == []


def test_not_null_needs_a_validated_check_first() -> None:
    safe = capture(
        "0002",
        TIMEOUT,
        "ALTER TABLE t ADD CONSTRAINT c CHECK (x IS NOT NULL) NOT VALID",
        "ALTER TABLE t VALIDATE CONSTRAINT c",
        "ALTER TABLE t ALTER COLUMN x SET NOT NULL",
    )
    assert rules(safe) == []
    unvalidated = capture(
        "0002",
        TIMEOUT,
        "ALTER TABLE t ADD CONSTRAINT c CHECK (x IS NOT NULL) NOT VALID",
        "ALTER TABLE t ALTER COLUMN x SET NOT NULL",
    )
    assert rules(unvalidated) == ["ZDT103"]


def test_unique_constraint_must_attach_an_index_built_concurrently() -> None:
    built = capture("0002", "CREATE UNIQUE INDEX CONCURRENTLY i ON t (s)")
    attach = capture("0003", TIMEOUT, "ALTER TABLE t ADD CONSTRAINT i UNIQUE USING INDEX i")
    assert rules(built, attach) == []
    assert rules(attach) == ["ZDT102"]


def test_lock_timeout_is_tracked_and_reset_by_zero() -> None:
    assert rules(capture("0002", "SET lock_timeout = 0", "ALTER TABLE t DROP COLUMN a")) == [
        "ZDT110"
    ]


def test_data_change_next_to_schema_change() -> None:
    assert rules(capture("0002", TIMEOUT, "ALTER TABLE t ADD b int", python=True)) == ["ZDT107"]
    assert rules(capture("0002", TIMEOUT, "UPDATE t SET b = 1", "ALTER TABLE t ADD b int")) == [
        "ZDT107"
    ]
    assert rules(capture("0002", "UPDATE t SET b = 1", python=True)) == []


def test_silence_keeps_the_finding_with_the_reason() -> None:
    finding = lint_migrations([capture("0002", TIMEOUT, "CREATE INDEX i ON t (a)")])
    [silenced] = apply_silences(finding, {"app.0002": {"ZDT101": "tiny table"}})
    assert silenced.silenced == "tiny table" and not silenced.blocks
