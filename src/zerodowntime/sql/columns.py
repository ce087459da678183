"""Facts about a column definition and a constraint: NOT NULL, defaults, their volatility."""

from __future__ import annotations

from dataclasses import dataclass

from pglast import ast, visitors
from pglast.enums import ConstrType

from zerodowntime.sql.facts import Constraint, Relation

#: Types whose column gets a sequence default (``nextval``) and NOT NULL.
SERIAL_TYPES = frozenset({"serial", "serial2", "serial4", "serial8", "smallserial", "bigserial"})
#: Functions a default may call without being volatile (PostgreSQL then stores the value once
#: instead of rewriting the table). Any other function counts as volatile.
STABLE_FUNCTIONS = frozenset(
    {
        "now",
        "statement_timestamp",
        "transaction_timestamp",
        "lower",
        "upper",
        "length",
        "concat",
        "concat_ws",
        "abs",
        "round",
        "trim",
        "btrim",
        "ltrim",
        "rtrim",
        "replace",
        "left",
        "right",
        "md5",
        "to_char",
        "date_trunc",
        "make_interval",
        "json_build_object",
        "jsonb_build_object",
        "json_build_array",
        "jsonb_build_array",
        "to_json",
        "to_jsonb",
    }
)
CONSTRAINTS = {
    ConstrType.CONSTR_CHECK: Constraint.CHECK,
    ConstrType.CONSTR_FOREIGN: Constraint.FOREIGN_KEY,
    ConstrType.CONSTR_UNIQUE: Constraint.UNIQUE,
    ConstrType.CONSTR_PRIMARY: Constraint.PRIMARY_KEY,
    ConstrType.CONSTR_EXCLUSION: Constraint.EXCLUSION,
    ConstrType.CONSTR_NOTNULL: Constraint.NOT_NULL,
}


def relation(node: ast.RangeVar | None) -> Relation | None:
    """Return the relation a ``RangeVar`` names, or None."""
    if node is None or node.relname is None:
        return None
    return Relation(node.relname, node.schemaname)


def names(items: tuple[ast.Node, ...] | None) -> list[str]:
    """Return the strings of a parser name list (``schema.name``, column lists)."""
    return [item.sval for item in items or () if isinstance(item, ast.String) and item.sval]


class _FunctionNames(visitors.Visitor):
    """Collect the bare names of the functions an expression calls."""

    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def visit_FuncCall(self, ancestors: object, node: ast.FuncCall) -> None:
        called = names(node.funcname)
        if called:
            self.found.add(called[-1].lower())


def is_null(expr: ast.Node | None) -> bool:
    """Return True for the NULL constant, cast or not (``NULL``, ``NULL::text``)."""
    while isinstance(expr, ast.TypeCast):
        expr = expr.arg
    return isinstance(expr, ast.A_Const) and bool(expr.isnull)


def is_volatile(expr: ast.Node | None) -> bool:
    """Return True when ``expr`` calls a function not known to be stable or immutable."""
    if expr is None:
        return False
    collector = _FunctionNames()
    collector(expr)
    return not collector.found <= STABLE_FUNCTIONS


def not_null_column(expr: ast.Node | None) -> str | None:
    """Return the column of a ``CHECK (column IS NOT NULL)`` expression, or None."""
    if not isinstance(expr, ast.NullTest) or expr.nulltesttype is None:
        return None
    if expr.nulltesttype.name != "IS_NOT_NULL" or not isinstance(expr.arg, ast.ColumnRef):
        return None
    fields = names(expr.arg.fields)
    return fields[-1] if len(fields) == 1 else None


@dataclass(frozen=True)
class ColumnFacts:
    """What a column definition says about NULLs and its default."""

    name: str
    not_null: bool
    has_default: bool
    volatile_default: bool
    references: tuple[Relation, ...]


def column_facts(column: ast.ColumnDef) -> ColumnFacts:
    """Return the NOT NULL and default facts of one column definition."""
    type_names = names(column.typeName.names) if column.typeName else []
    serial = bool(type_names) and type_names[-1].lower() in SERIAL_TYPES
    not_null = has_default = volatile = serial
    references: list[Relation] = []
    for constraint in column.constraints or ():
        contype = constraint.contype
        if contype in {ConstrType.CONSTR_NOTNULL, ConstrType.CONSTR_PRIMARY}:
            not_null = True
        elif contype is ConstrType.CONSTR_DEFAULT and not is_null(constraint.raw_expr):
            has_default = True
            volatile = volatile or is_volatile(constraint.raw_expr)
        elif contype is ConstrType.CONSTR_IDENTITY:
            not_null = has_default = volatile = True
        elif contype is ConstrType.CONSTR_GENERATED:
            # Computed for every existing row: a rewrite, as with a volatile default.
            has_default = volatile = True
        elif contype is ConstrType.CONSTR_FOREIGN:
            target = relation(constraint.pktable)
            references += [target] if target else []
    return ColumnFacts(column.colname or "", not_null, has_default, volatile, tuple(references))
