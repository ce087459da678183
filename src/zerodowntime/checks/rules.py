"""The migration linter: rules over the SQL each migration really emits."""

from __future__ import annotations

from dataclasses import dataclass, field

from zerodowntime.checks.facts import MigrationCapture, OperationSQL
from zerodowntime.checks.findings import Finding, Rule, Severity, make_finding
from zerodowntime.checks.statements import DDL, STRONG_LOCK, Action, Kind, classify
from zerodowntime.checks.statements import timeout_is_set as _timeout_is_set
from zerodowntime.sql import normalize

E, W = Severity.ERROR, Severity.WARNING

MIGRATION_FAILED = Rule(
    "ZDT100",
    "migration-failed",
    E,
    "the migration failed on an empty scratch database, so it would fail in production too",
    "fix the migration until `manage.py migrate` succeeds on an empty database",
)
INDEX_NOT_CONCURRENT = Rule(
    "ZDT101",
    "index-not-concurrent",
    E,
    "building or dropping an index without CONCURRENTLY blocks every write to the table "
    "for the whole build",
    "use AddIndexConcurrently / RemoveIndexConcurrently (or CREATE/DROP INDEX CONCURRENTLY) "
    "in a migration with atomic = False",
)
UNIQUE_NOT_USING_INDEX = Rule(
    "ZDT102",
    "unique-not-using-concurrent-index",
    E,
    "adding a UNIQUE or PRIMARY KEY constraint builds its index under an ACCESS EXCLUSIVE lock "
    "unless it attaches an index already built concurrently",
    "CREATE UNIQUE INDEX CONCURRENTLY first (one release earlier), then "
    "ADD CONSTRAINT ... UNIQUE USING INDEX <that index>",
)
NOT_NULL_WITHOUT_CHECK = Rule(
    "ZDT103",
    "set-not-null-without-valid-check",
    E,
    "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock unless a validated "
    "CHECK (column IS NOT NULL) already proves it",
    "ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then "
    "SET NOT NULL and drop the check (Django's AlterField with the zero-downtime backend)",
)
ADD_COLUMN_NOT_NULL = Rule(
    "ZDT104",
    "add-column-not-null-without-db-default",
    E,
    "a NOT NULL column without a database default fails on existing rows and breaks the "
    "inserts of the release still running",
    "add the column nullable, or with a database default (Django `db_default=`), which is "
    "metadata-only on PostgreSQL 11+",
)
RENAME = Rule(
    "ZDT105",
    "rename",
    E,
    "renaming a column or table breaks every query of the release still running",
    "add the new column, write both and backfill, switch reads in the next release, drop the "
    "old column one release later (expand/contract)",
)
ALTER_TYPE = Rule(
    "ZDT106",
    "alter-column-type",
    E,
    "changing a column's type rewrites the table under an ACCESS EXCLUSIVE lock (unless "
    "binary-compatible) and the running release still reads and writes the old type",
    "add a column of the new type, sync and backfill it, switch in the next release; silence "
    "with a reason only for a binary-compatible widening (varchar(n) -> varchar(m > n) or text)",
)
DATA_IN_SCHEMA_MIGRATION = Rule(
    "ZDT107",
    "data-migration-in-schema-migration",
    E,
    "a data change (RunPython or UPDATE/INSERT/DELETE) in a migration that also changes the "
    "schema holds the DDL locks for as long as the data change runs",
    "move the data change to its own migration, or better to a background migration "
    "(batched, resumable) started after the deploy",
)
CONCURRENT_IN_ATOMIC = Rule(
    "ZDT108",
    "concurrent-in-atomic-migration",
    E,
    "CONCURRENTLY cannot run inside a transaction: the migration either fails, or its other "
    "operations silently lose the atomicity the migration declares",
    "set atomic = False on the migration and keep concurrent operations in their own migration",
)
CONSTRAINT_VALIDATED_UNDER_LOCK = Rule(
    "ZDT109",
    "constraint-validated-under-lock",
    E,
    "a CHECK or FOREIGN KEY added without NOT VALID scans the table under a lock that "
    "blocks writes",
    "add it NOT VALID, then VALIDATE CONSTRAINT in a later statement (no write lock)",
)
NO_LOCK_TIMEOUT = Rule(
    "ZDT110",
    "ddl-without-lock-timeout",
    E,
    "DDL waiting for its lock behind a long transaction queues every query of the table behind "
    "it; without lock_timeout that wait is unbounded",
    "SET lock_timeout (e.g. '1s') before the statement and retry on timeout; the zero-downtime "
    "backend does this for Django operations, RunSQL must do it itself",
)
EDITOR_REFUSED = Rule(
    "ZDT199",
    "schema-editor-refused",
    E,
    "the project's schema editor refuses this operation as unsafe",
    "follow the editor's message; it names the safe alternative",
)

MIGRATION_RULES = (
    MIGRATION_FAILED,
    INDEX_NOT_CONCURRENT,
    UNIQUE_NOT_USING_INDEX,
    NOT_NULL_WITHOUT_CHECK,
    ADD_COLUMN_NOT_NULL,
    RENAME,
    ALTER_TYPE,
    DATA_IN_SCHEMA_MIGRATION,
    CONCURRENT_IN_ATOMIC,
    CONSTRAINT_VALIDATED_UNDER_LOCK,
    NO_LOCK_TIMEOUT,
    EDITOR_REFUSED,
)


def short(sql: str, limit: int = 240) -> str:
    """Return ``sql`` normalized and cut to ``limit`` characters."""
    text = normalize(sql)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class _Chain:
    """What the statements seen so far established (indexes, validated checks)."""

    safe_indexes: set[str] = field(default_factory=set)
    pending_checks: dict[str, tuple[str, str]] = field(default_factory=dict)
    proven_not_null: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class _Migration:
    """Per-migration state while its statements are linted."""

    capture: MigrationCapture
    created_tables: set[str] = field(default_factory=set)
    created_indexes: set[str] = field(default_factory=set)
    lock_timeout: str | None = None
    findings: list[Finding] = field(default_factory=list)

    def report(self, rule: Rule, message: str, sql: str | None) -> None:
        self.findings.append(
            make_finding(
                rule,
                message,
                migration=self.capture.key,
                statement=short(sql) if sql else None,
                release=self.capture.release,
            )
        )


def _lint_action(chain: _Chain, mig: _Migration, action: Action, sql: str) -> None:
    """Apply the statement-level rules to one action, updating the chain state."""
    kind, table = action.kind, action.table
    new_table = table in mig.created_tables
    if kind is Kind.LOCK_TIMEOUT:
        mig.lock_timeout = action.value
        return
    if kind is Kind.CREATE_TABLE and table:
        mig.created_tables.add(table)
        return
    waits = kind in STRONG_LOCK and action.lock.blocks_writes and not new_table
    if waits and not _timeout_is_set(mig.lock_timeout):
        message = f"{kind} on {table} takes {action.lock} without lock_timeout"
        mig.report(NO_LOCK_TIMEOUT, message, sql)
    if kind is Kind.CREATE_INDEX and action.name:
        if action.concurrently or new_table:
            chain.safe_indexes.add(action.name)
        mig.created_indexes.add(action.name)
    if kind in {Kind.CREATE_INDEX, Kind.DROP_INDEX, Kind.REINDEX} and not action.concurrently:
        own_index = kind is not Kind.CREATE_INDEX and action.name in mig.created_indexes
        if not new_table and not own_index:
            mig.report(
                INDEX_NOT_CONCURRENT, f"{kind} {action.name or ''} without CONCURRENTLY", sql
            )
    elif kind is Kind.ADD_UNIQUE and not new_table:
        if action.using_index is None:
            mig.report(UNIQUE_NOT_USING_INDEX, f"constraint {action.name} on {table}", sql)
        elif action.using_index not in chain.safe_indexes:
            mig.report(
                UNIQUE_NOT_USING_INDEX,
                f"index {action.using_index} was not built CONCURRENTLY before",
                sql,
            )
    elif kind is Kind.ADD_CHECK and table:
        if action.column and action.name:
            chain.pending_checks[action.name] = (table, action.column)
        if action.column and not action.not_valid:
            chain.proven_not_null.add((table, action.column))
        if not action.not_valid and not new_table:
            mig.report(CONSTRAINT_VALIDATED_UNDER_LOCK, f"check {action.name} on {table}", sql)
    elif kind is Kind.ADD_FOREIGN_KEY and not action.not_valid and not new_table:
        mig.report(CONSTRAINT_VALIDATED_UNDER_LOCK, f"foreign key {action.name} on {table}", sql)
    elif kind is Kind.VALIDATE and action.name in chain.pending_checks:
        chain.proven_not_null.add(chain.pending_checks[action.name])
    elif kind is Kind.SET_NOT_NULL and table and action.column:
        if new_table or action.not_valid:  # a NOT NULL constraint NOT VALID scans nothing
            return
        if (table, action.column) not in chain.proven_not_null:
            mig.report(NOT_NULL_WITHOUT_CHECK, f"{table}.{action.column} SET NOT NULL", sql)
    elif kind is Kind.ADD_COLUMN and not new_table:
        if action.not_null and not action.has_default:
            mig.report(ADD_COLUMN_NOT_NULL, f"{table}.{action.column} added NOT NULL", sql)
    elif kind in {Kind.RENAME_COLUMN, Kind.RENAME_TABLE} and not new_table:
        target = f"{table}.{action.column}" if action.column else table
        mig.report(RENAME, f"{target} renamed to {action.value}", sql)
    elif kind is Kind.ALTER_TYPE and not new_table:
        mig.report(ALTER_TYPE, f"{table}.{action.column} changes type to {action.value}", sql)


def _lint_operation(chain: _Chain, mig: _Migration, operation: OperationSQL) -> None:
    before = len(mig.findings)
    for sql in operation.statements:
        for action in classify(sql):
            _lint_action(chain, mig, action, sql)
    if operation.error and len(mig.findings) == before:
        mig.report(EDITOR_REFUSED, f"{operation.description}: {operation.error}", None)


def _lint_migration_shape(mig: _Migration) -> None:
    """Apply the migration-level rules (data + schema mixed, concurrency in a transaction)."""
    capture = mig.capture
    actions = [
        (action, sql)
        for operation in capture.operations
        for sql in operation.statements
        for action in classify(sql)
    ]
    python_ops = [op.description for op in capture.operations if op.python]
    dml = [sql for action, sql in actions if action.kind is Kind.DML]
    ddl = [sql for action, sql in actions if action.kind in DDL]
    if (python_ops or dml) and ddl:
        what = f"RunPython ({python_ops[0]})" if python_ops else "a data change"
        mig.report(DATA_IN_SCHEMA_MIGRATION, f"{what} next to schema changes", (dml or ddl)[0])
    concurrent = [
        sql
        for action, sql in actions
        if action.concurrently
        and action.table not in mig.created_tables
        and (action.kind is Kind.CREATE_INDEX or action.name not in mig.created_indexes)
    ]
    if capture.atomic and concurrent:
        mig.report(CONCURRENT_IN_ATOMIC, "the migration is atomic", concurrent[0])


def lint_migrations(migrations: list[MigrationCapture]) -> list[Finding]:
    """Return the findings of every migration rule over a chain of captured migrations."""
    chain = _Chain()
    findings: list[Finding] = []
    for capture in migrations:
        mig = _Migration(capture)
        for operation in capture.operations:
            _lint_operation(chain, mig, operation)
        _lint_migration_shape(mig)
        findings.extend(mig.findings)
    return findings


def failure_finding(failure: str, migration: str | None = None) -> Finding:
    """Return the finding for a chain whose migrations could not be applied."""
    return make_finding(MIGRATION_FAILED, failure, migration=migration)
