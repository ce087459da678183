"""Table-size-aware findings: each finding's table size and cost, and data loops on big tables.

With a database to look at (``zdt check --database-url``), every finding of a migration not yet
applied there names its table's rows and size and what its statement would cost (see
:mod:`zerodowntime.checks.costs`), and a data loop over a big table (DML in the migration's SQL,
or the queries its Python code ran on the scratch database) is a finding of its own, ZDT111.
"""

from __future__ import annotations

from dataclasses import replace

from zerodowntime.checks.costs import MB, Work, dearest, estimate, work_of
from zerodowntime.checks.facts import ChainCapture, MigrationCapture
from zerodowntime.checks.findings import Finding, Rule, Severity, TableSize, make_finding
from zerodowntime.checks.rules import NOT_NULL_WITHOUT_CHECK, short
from zerodowntime.checks.statements import classify
from zerodowntime.checks.table_stats import DatabaseStats, TableStats
from zerodowntime.sql import Change, Kind, Lock, Relation, scanned_tables

DATA_LOOP_ON_BIG_TABLE = Rule(
    "ZDT111",
    "data-loop-on-big-table",
    Severity.ERROR,
    "a migration that goes through a big table row by row runs for as long as the table is big, "
    "holds the deploy meanwhile, and keeps each row it changes locked until it commits",
    "move the data change to a background migration (`zerodowntime.background`: a Backfill or "
    "SqlBackfill registered with RegisterBackgroundMigration, finished one release later with "
    "FinishBackgroundMigrations; docs/adopting.md, step 6)",
)


def table_names(chain: ChainCapture) -> set[str]:
    """Return the bare name of every table the chain's statements and Python code name."""
    names: set[str] = set()
    for capture in chain.migrations:
        for sql in _statements(capture):
            names |= {change.table for change in classify(sql) if change.table}
            names |= {table.name for table in scanned_tables(sql)}
        for sql in capture.python_sql:
            names |= {table.name for table in scanned_tables(sql)}
    return names


def _statements(capture: MigrationCapture) -> list[str]:
    return [sql for operation in capture.operations for sql in operation.statements]


def _created(capture: MigrationCapture) -> set[str]:
    return {
        change.table
        for sql in _statements(capture)
        for change in classify(sql)
        if change.kind is Kind.CREATE_TABLE and change.table
    }


def _shown(relation: Relation, found: TableStats | None) -> str:
    if found is not None:
        return f"{found.schema}.{found.name}"
    return f"{relation.schema}.{relation.name}" if relation.schema else relation.name


def size_of(
    relation: Relation,
    work: Work,
    lock: Lock,
    stats: DatabaseStats,
    *,
    adds_not_null: bool = False,
    passes: int = 1,
) -> TableSize:
    """Return the size of ``relation`` in ``stats`` and the cost of ``work`` on it.

    ``passes``: how many statements of a data loop go through it (see ``costs.estimate``).
    """
    found = stats.table(relation)
    name = _shown(relation, found)
    if found is None:
        return TableSize(name, None, cost=f"not in {stats.where} (no table of that name)")
    cost = estimate(work, lock, found.rows, found.table_bytes, passes)
    text = cost.text
    if adds_not_null and found.rows > 0:
        text = (
            "fails there: a NOT NULL column without a default cannot be added to its"
            f" {found.rows:,} rows"
        )
    return TableSize(name, found.rows, found.table_bytes, found.index_bytes, cost.seconds, text)


def _statement_size(
    finding: Finding, capture: MigrationCapture, stats: DatabaseStats
) -> TableSize | None:
    """Return the size and cost of the table the finding's statement acts on, if it has one."""
    sql = next((s for s in _statements(capture) if short(s) == finding.statement), None)
    if sql is None:
        return None
    created = _created(capture)
    by_table: dict[Relation, list[Change]] = {}
    for change in classify(sql):
        if change.relation is not None and change.table not in created:
            by_table.setdefault(change.relation, []).append(change)
    if not by_table:
        return None
    unproven = finding.rule == NOT_NULL_WITHOUT_CHECK.id
    works = {
        relation: dearest([work_of(c, unproven_not_null=unproven) for c in changes])
        for relation, changes in by_table.items()
    }
    relation = max(works, key=lambda r: list(Work).index(works[r]))
    changes = by_table[relation]
    adds_not_null = any(
        c.kind is Kind.ADD_COLUMN and c.not_null and not c.has_default for c in changes
    )
    lock = max(c.lock for c in changes)
    return size_of(relation, works[relation], lock, stats, adds_not_null=adds_not_null)


def _data_loops(capture: MigrationCapture, stats: DatabaseStats, threshold: int) -> list[Finding]:
    """Return a ZDT111 finding per big table the migration's data changes go through."""
    created = _created(capture)
    python = next((op.description for op in capture.operations if op.python), "Python code")
    loops: list[tuple[Relation, str, str, int]] = [
        (table, sql, operation.description, 1)
        for operation in capture.operations
        for sql in operation.statements
        if any(change.kind is Kind.DML for change in classify(sql))
        for table in scanned_tables(sql)
    ]
    runs = capture.python_sql_runs
    loops += [
        (t, sql, f"RunPython ({python})", runs.get(sql, 1))
        for sql in capture.python_sql
        for t in scanned_tables(sql)
    ]
    findings, seen = [], set()
    for relation, sql, what, passes in loops:
        found = stats.table(relation)
        if relation.name in created or found is None or found.rows < threshold or found in seen:
            continue
        seen.add(found)
        size = size_of(relation, Work.ROWS, Lock.ROW_EXCLUSIVE, stats, passes=passes)
        repeated = f", {passes:,} times the statement below" if passes > 1 else ""
        message = (
            f"{what} goes through {size.table} row by row{repeated}: {found.rows:,} rows,"
            f" {found.table_bytes / MB:,.0f} MB in {stats.where}"
            f" (ZDT_CHECK_BIG_TABLE_ROWS: {threshold:,})"
        )
        finding = make_finding(
            DATA_LOOP_ON_BIG_TABLE,
            message,
            migration=capture.key,
            statement=short(sql),
            release=capture.release,
        )
        findings.append(replace(finding, size=size))
    return findings


def with_table_sizes(
    findings: list[Finding], chain: ChainCapture, stats: DatabaseStats, threshold: int | None = None
) -> list[Finding]:
    """Return ``findings`` with their table's size, plus the data loops over big tables.

    Only migrations not applied in the database looked at are concerned; ``threshold`` (default
    ``ZDT_CHECK_BIG_TABLE_ROWS``) is the row count from which a data loop is a finding.
    """
    if threshold is None:
        from zerodowntime import conf

        threshold = conf.get().check_big_table_rows
    captures = {capture.key: capture for capture in chain.migrations}
    result = []
    for finding in findings:
        capture = captures.get(finding.migration or "")
        if capture is None or finding.statement is None or not stats.pending(capture.key):
            result.append(finding)
            continue
        result.append(replace(finding, size=_statement_size(finding, capture, stats)))
    for capture in chain.migrations:
        if stats.pending(capture.key):
            result += _data_loops(capture, stats, threshold)
    return result
