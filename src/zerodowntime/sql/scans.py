"""The tables a data statement goes through row by row (what a data loop in a migration costs)."""

from __future__ import annotations

from pglast import ast, parser, visitors

from zerodowntime.sql.columns import relation
from zerodowntime.sql.facts import Relation

_DATA = (ast.SelectStmt, ast.UpdateStmt, ast.DeleteStmt, ast.InsertStmt, ast.MergeStmt)


class _Tables(visitors.Visitor):
    """Collect the relations a statement names, and the names of its CTEs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[Relation] = []
        self.ctes: set[str] = set()

    def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
        found = relation(node)
        if found is not None and found not in self.found:
            self.found.append(found)

    def visit_CommonTableExpr(self, ancestors: object, node: ast.CommonTableExpr) -> None:
        if node.ctename:
            self.ctes.add(node.ctename)


def _scanned(node: ast.Node | None) -> list[Relation]:
    if not isinstance(node, _DATA):
        return []
    if isinstance(node, ast.SelectStmt) and node.limitCount is not None:
        return []  # a bounded read (``.get()``, ``.first()``, ``.exists()``), not a loop
    tables = _Tables()
    if isinstance(node, ast.InsertStmt):  # the rows come from its SELECT, not its target
        for part in (node.selectStmt, node.withClause):
            if part is not None:
                tables(part)
    else:
        tables(node)
    return [t for t in tables.found if t.schema is not None or t.name not in tables.ctes]


def scanned_tables(sql: str) -> tuple[Relation, ...]:
    """Return the tables the data statements of ``sql`` read or change row by row.

    SELECT, UPDATE, DELETE and MERGE go through every table they name; INSERT through the
    tables of its SELECT (none for ``VALUES``); a SELECT with a LIMIT and any other statement
    (DDL, settings) through none. Unparsable SQL gives none.
    """
    try:
        raws = parser.parse_sql(sql)
    except parser.ParseError:
        return ()
    found: list[Relation] = []
    for raw in raws:
        for table in _scanned(raw.stmt):
            if table not in found:
                found.append(table)
    return tuple(found)
