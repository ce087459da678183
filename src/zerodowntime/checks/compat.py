"""Release compatibility: the older release must keep working on the newer release's schema."""

from __future__ import annotations

import re

from zerodowntime.checks.facts import (
    UNRELEASED,
    ChainCapture,
    MigrationCapture,
    ModelColumn,
    ReleaseFacts,
    Table,
)
from zerodowntime.checks.findings import Finding, Rule, Severity, make_finding
from zerodowntime.checks.rules import short
from zerodowntime.checks.statements import Kind, classify

COLUMN_REMOVED = Rule(
    "ZDT201",
    "column-removed-while-used",
    Severity.ERROR,
    "the previous release still reads and writes this column while the new release's "
    "migrations run, so its queries fail",
    "stop using the column in one release (remove it from Django's state only, with "
    "SeparateDatabaseAndState) and drop it from the database one release later",
)
INSERT_WOULD_FAIL = Rule(
    "ZDT202",
    "old-release-insert-fails",
    Severity.ERROR,
    "the column is NOT NULL with no database default, so the previous release's inserts "
    "fail with a NOT NULL violation",
    "keep the column nullable until every running release writes it, or give it a database "
    "default (`db_default=`) or a trigger that fills it",
)
TYPE_CHANGED = Rule(
    "ZDT203",
    "column-type-changed-while-used",
    Severity.ERROR,
    "the previous release still reads and writes this column with its old type",
    "add a column of the new type, keep both in sync, switch in the next release",
)
NOT_NULL_BEFORE_BACKFILL = Rule(
    "ZDT204",
    "not-null-in-release-that-adds-column",
    Severity.ERROR,
    "existing rows hold NULL until the background backfill has run, so the constraint "
    "fails on a populated table (and the previous release does not write the column)",
    "add the column nullable in one release, backfill it in the background, enforce NOT NULL "
    "in the next release",
)
MAY_WRITE_NULL = Rule(
    "ZDT205",
    "old-release-may-write-null",
    Severity.WARNING,
    "the previous release's model allows NULL here with no default, so its inserts fail "
    "unless its code always sets the value",
    "make sure the previous release always sets it (or give the column a database default)",
)
COMPAT_RULES = (
    COLUMN_REMOVED,
    INSERT_WOULD_FAIL,
    TYPE_CHANGED,
    NOT_NULL_BEFORE_BACKFILL,
    MAY_WRITE_NULL,
)

_VARCHAR = re.compile(r"^character varying\((\d+)\)$")


def _widening(old: str, new: str) -> bool:
    """Return True for a binary-compatible widening (varchar(n) -> varchar(m>=n) or text)."""
    old_match = _VARCHAR.match(old)
    if not old_match:
        return False
    if new == "text" or new == "character varying":
        return True
    new_match = _VARCHAR.match(new)
    return new_match is not None and int(new_match.group(1)) >= int(old_match.group(1))


def culprit(
    migrations: list[MigrationCapture], table: str, column: str | None, kinds: set[Kind]
) -> tuple[str | None, str | None]:
    """Return (migration, statement) of the first statement of ``kinds`` touching the column."""
    for migration in migrations:
        for operation in migration.operations:
            for sql in operation.statements:
                for action in classify(sql):
                    if action.kind not in kinds or action.table != table:
                        continue
                    if (
                        column is None
                        or column in {action.column, action.value}
                        or not action.column
                    ):
                        return migration.key, short(sql)
    return None, None


def check_pair(
    older: ReleaseFacts,
    newer: str,
    before: dict[str, Table],
    after: dict[str, Table],
    migrations: list[MigrationCapture],
) -> list[Finding]:
    """Return the findings of ``older``'s models on the schema ``after`` (``before``: its own).

    ``migrations`` are those that lead from ``before`` to ``after``: each finding names the
    first of them that causes it.
    """
    findings: list[Finding] = []

    def who(table: str) -> str:
        model = older.models.get(table)
        return f"{older.version}'s {model}" if model else older.version

    def report(rule: Rule, message: str, table: str, column: str | None, kinds: set[Kind]) -> None:
        exact = kinds & {Kind.SET_NOT_NULL, Kind.ALTER_TYPE}
        migration, statement = culprit(migrations, table, column, exact)
        if migration is None:
            migration, statement = culprit(migrations, table, column, kinds)
        findings.append(
            make_finding(rule, message, migration=migration, statement=statement, release=newer)
        )

    removal = {Kind.DROP_COLUMN, Kind.RENAME_COLUMN, Kind.DROP_TABLE, Kind.RENAME_TABLE}
    for table_name, model_columns in older.tables.items():
        table = after.get(table_name)
        if table is None:
            message = f"{who(table_name)} uses table {table_name}, gone after {newer}'s migrations"
            report(COLUMN_REMOVED, message, table_name, None, removal)
            continue
        used: dict[str, ModelColumn] = {column.column: column for column in model_columns}
        for name in used:
            column = table.columns.get(name)
            if column is None:
                message = f"{who(table_name)} uses {table_name}.{name}, gone after {newer}"
                report(COLUMN_REMOVED, message, table_name, name, removal)
                continue
            old = before.get(table_name)
            old_type = old.columns[name].type if old and name in old.columns else column.type
            if old_type != column.type and not _widening(old_type, column.type):
                message = f"{table_name}.{name} changes from {old_type} to {column.type}"
                report(TYPE_CHANGED, message, table_name, name, {Kind.ALTER_TYPE})
        for name, column in table.columns.items():
            if column.nullable or column.default is not None or column.generated:
                continue
            if name in table.trigger_filled:
                continue
            model_column = used.get(name)
            kinds = {Kind.SET_NOT_NULL, Kind.ADD_COLUMN, Kind.RENAME_COLUMN, Kind.ALTER_OTHER}
            if model_column is None:
                message = f"{who(table_name)} never writes {table_name}.{name}, NOT NULL in {newer}"
                report(INSERT_WOULD_FAIL, message, table_name, name, kinds)
            elif model_column.null and not model_column.has_default:
                message = (
                    f"{who(table_name)} may write NULL to {table_name}.{name}, NOT NULL in {newer}"
                )
                report(MAY_WRITE_NULL, message, table_name, name, kinds)
    return findings


def not_null_before_backfill(migrations: list[MigrationCapture]) -> list[Finding]:
    """Return findings for columns made NOT NULL in the release that adds them nullable."""
    findings: list[Finding] = []
    added: dict[tuple[str, str, str], str] = {}
    created: set[tuple[str, str]] = set()
    for migration in migrations:
        for operation in migration.operations:
            for sql in operation.statements:
                for action in classify(sql):
                    if action.kind is Kind.CREATE_TABLE and action.table:
                        created.add((migration.release, action.table))
                    if not action.table or (migration.release, action.table) in created:
                        continue
                    key = (migration.release, action.table, action.column or "")
                    if action.kind is Kind.ADD_COLUMN and not action.not_null:
                        added[key] = migration.key
                    elif action.kind is Kind.SET_NOT_NULL and key in added:
                        message = (
                            f"{action.table}.{action.column} is added in {added[key]} and made "
                            f"NOT NULL in the same release"
                        )
                        findings.append(
                            make_finding(
                                NOT_NULL_BEFORE_BACKFILL,
                                message,
                                migration=migration.key,
                                statement=short(sql),
                                release=migration.release,
                            )
                        )
    return findings


def check_compatibility(chain: ChainCapture, facts: dict[str, ReleaseFacts]) -> list[Finding]:
    """Return the findings for every adjacent pair of releases (and the unreleased migrations).

    For each pair, the older release's models are checked against the database schema after
    the newer release's migrations: ``chain.schemas`` holds the schema after each head.
    """
    findings = not_null_before_backfill(chain.migrations)
    order = [version for version in chain.releases if version in chain.schemas]
    if UNRELEASED in chain.schemas:
        order.append(UNRELEASED)
    for older, newer in zip(order, order[1:], strict=False):
        if older not in facts:
            continue
        migrations = [m for m in chain.migrations if m.release == newer]
        findings += check_pair(
            facts[older], newer, chain.schemas[older], chain.schemas[newer], migrations
        )
    return findings
