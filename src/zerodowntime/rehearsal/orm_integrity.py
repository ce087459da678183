"""Integrity of the generic rehearsal: every acknowledged ORM write is there, every delete gone.

The state is the list of acknowledgements the ORM clients wrote (``orm_traffic``): each names a
row (table, primary key column and value), whether it was written or deleted, and the values of
the columns a write set that a read can compare. Only one client ever changes a row, one
operation at a time, so a row's acknowledgements are in order: the last one says whether the
row must exist, and the writes before it, merged, which values it must hold. A column or table
the new release dropped is not checked (its values left with it, on purpose).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from zerodowntime.rehearsal.records import CheckResult
from zerodowntime.rehearsal.scenario import IntegrityCheck

SHOWN = 5
RowKey = tuple[str, str, str]  # table, primary key column, primary key as text


@dataclass
class ExpectedRow:
    """What the database must hold for one row after the traffic."""

    exists: bool
    model: str
    values: dict[str, Any] = field(default_factory=dict)


def expected_rows(acknowledgements: Sequence[dict[str, Any]]) -> dict[RowKey, ExpectedRow]:
    """Return each acknowledged row's expected state (its acknowledgements taken in order)."""
    rows: dict[RowKey, ExpectedRow] = {}
    for ack in acknowledgements:
        key = (ack["table"], ack["pk_column"], str(ack["pk"]))
        row = rows.setdefault(key, ExpectedRow(True, ack["model"]))
        row.exists = ack["kind"] != "delete"
        row.values.update(ack["values"])
    return rows


def _columns(cursor: psycopg.Cursor[Any]) -> dict[str, set[str]]:
    cursor.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema()"
    )
    result: dict[str, set[str]] = {}
    for table, column in cursor.fetchall():
        result.setdefault(table, set()).add(column)
    return result


def _fetch(
    cursor: psycopg.Cursor[Any], table: str, pk_column: str, columns: list[str], keys: list[str]
) -> dict[str, dict[str, Any]]:
    """Return the rows of ``table`` whose key (as text) is in ``keys``: key -> column values."""
    query = sql.SQL("SELECT {pk}::text{columns} FROM {table} WHERE {pk}::text = ANY(%s)").format(
        pk=sql.Identifier(pk_column),
        columns=sql.SQL("").join(sql.SQL(", ") + sql.Identifier(c) for c in columns),
        table=sql.Identifier(table),
    )
    cursor.execute(query, [keys])
    return {row[0]: dict(zip(columns, row[1:], strict=True)) for row in cursor.fetchall()}


def _by_table(rows: dict[RowKey, ExpectedRow]) -> dict[tuple[str, str], dict[str, ExpectedRow]]:
    grouped: dict[tuple[str, str], dict[str, ExpectedRow]] = {}
    for (table, pk_column, pk), row in rows.items():
        grouped.setdefault((table, pk_column), {})[pk] = row
    return grouped


def _shown(problems: list[str]) -> str:
    more = f", and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    return "; ".join(problems[:SHOWN]) + more


class AcknowledgedWrites(IntegrityCheck):
    """Every row whose last acknowledged operation wrote it is there, with the values written."""

    name = "acknowledged ORM writes"

    def run(self, cursor: psycopg.Cursor[Any], state: Any) -> CheckResult:
        """Compare each written row with the database."""
        rows = {k: r for k, r in expected_rows(state).items() if r.exists}
        existing = _columns(cursor)
        problems, checked, gone = [], 0, 0
        for (table, pk_column), wanted in _by_table(rows).items():
            if table not in existing:
                gone += len(wanted)
                continue
            columns = sorted({c for r in wanted.values() for c in r.values} & existing[table])
            found = _fetch(cursor, table, pk_column, columns, list(wanted))
            for pk, row in wanted.items():
                checked += 1
                if pk not in found:
                    problems.append(f"{row.model} {pk_column}={pk} is missing")
                    continue
                for column in sorted(set(row.values) & set(columns)):
                    if found[pk][column] != row.values[column]:
                        problems.append(
                            f"{row.model} {pk_column}={pk}: {column} is {found[pk][column]!r},"
                            f" written {row.values[column]!r}"
                        )
        if problems:
            return CheckResult(
                self.name, CheckResult.FAILED, f"{len(problems)} of {checked}: {_shown(problems)}"
            )
        dropped = f" ({gone} in tables dropped since, not checked)" if gone else ""
        return CheckResult(
            self.name,
            CheckResult.PASSED,
            f"{checked} rows created or updated are there with their values{dropped}",
        )


class AcknowledgedDeletes(IntegrityCheck):
    """Every row whose last acknowledged operation deleted it is gone."""

    name = "acknowledged ORM deletes"

    def run(self, cursor: psycopg.Cursor[Any], state: Any) -> CheckResult:
        """Look for each deleted row."""
        rows = {k: r for k, r in expected_rows(state).items() if not r.exists}
        existing = _columns(cursor)
        problems, checked = [], 0
        for (table, pk_column), wanted in _by_table(rows).items():
            if table not in existing:
                continue
            checked += len(wanted)
            for pk in _fetch(cursor, table, pk_column, [], list(wanted)):
                problems.append(f"{wanted[pk].model} {pk_column}={pk} is still there")
        if problems:
            return CheckResult(
                self.name, CheckResult.FAILED, f"{len(problems)} of {checked}: {_shown(problems)}"
            )
        return CheckResult(self.name, CheckResult.PASSED, f"{checked} deleted rows are gone")
