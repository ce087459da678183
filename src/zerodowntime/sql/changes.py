"""The changes of one parsed statement, with the lock each takes (PostgreSQL's lock table)."""

from __future__ import annotations

from collections.abc import Callable

from pglast import ast
from pglast.enums import ObjectType, ReindexObjectType, VariableSetKind

from zerodowntime.sql.alter import alter_table
from zerodowntime.sql.columns import column_facts, names, relation
from zerodowntime.sql.facts import Change, Kind, Lock, Relation

_DML = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)
_DDL_PREFIXES = ("Create", "Alter", "Drop", "Comment", "Grant", "Define", "Rename")
_DDL_NODES = (ast.ViewStmt, ast.RuleStmt, ast.CompositeTypeStmt)


def _create_table(node: ast.CreateStmt) -> tuple[Change, ...]:
    references: list[Relation] = []
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            references += column_facts(element).references
        elif isinstance(element, ast.Constraint) and (target := relation(element.pktable)):
            references.append(target)
    table = relation(node.relation)
    return (Change(Kind.CREATE_TABLE, table, references=tuple(references)),)


def _create_index(node: ast.IndexStmt) -> tuple[Change, ...]:
    lock = Lock.SHARE_UPDATE_EXCLUSIVE if node.concurrent else Lock.SHARE
    return (
        Change(
            Kind.CREATE_INDEX,
            relation(node.relation),
            lock,
            name=node.idxname,
            concurrently=bool(node.concurrent),
            unique=bool(node.unique or node.primary),
        ),
    )


def _object_names(node: ast.DropStmt) -> list[list[str]]:
    return [names(item) for item in node.objects or () if isinstance(item, tuple)]


def _drop(node: ast.DropStmt) -> tuple[Change, ...]:
    kind, concurrently = node.removeType, bool(node.concurrent)
    if kind is ObjectType.OBJECT_INDEX:
        lock = Lock.SHARE_UPDATE_EXCLUSIVE if concurrently else Lock.ACCESS_EXCLUSIVE
        return tuple(
            Change(Kind.DROP_INDEX, lock=lock, name=parts[-1], concurrently=concurrently)
            for parts in _object_names(node)
        )
    if kind is ObjectType.OBJECT_TABLE:
        return tuple(
            Change(Kind.DROP_TABLE, Relation(parts[-1], *parts[-2:-1]), Lock.ACCESS_EXCLUSIVE)
            for parts in _object_names(node)
        )
    if kind is ObjectType.OBJECT_TRIGGER:
        return tuple(
            Change(
                Kind.TRIGGER,
                Relation(parts[-2], *parts[-3:-2]),
                Lock.ACCESS_EXCLUSIVE,
                name=parts[-1],
            )
            for parts in _object_names(node)
        )
    if kind in {ObjectType.OBJECT_FUNCTION, ObjectType.OBJECT_PROCEDURE}:
        return (Change(Kind.FUNCTION),)
    return (Change(Kind.OTHER_DDL, lock=Lock.ACCESS_EXCLUSIVE),)


def _reindex(node: ast.ReindexStmt) -> tuple[Change, ...]:
    options = {param.defname for param in node.params or () if isinstance(param, ast.DefElem)}
    concurrently = "concurrently" in options
    target = relation(node.relation)
    table = target if node.kind is ReindexObjectType.REINDEX_OBJECT_TABLE else None
    return (
        Change(
            Kind.REINDEX,
            table,
            Lock.SHARE_UPDATE_EXCLUSIVE if concurrently else Lock.SHARE,
            name=target.name if target else None,
            concurrently=concurrently,
        ),
    )


def _rename(node: ast.RenameStmt) -> tuple[Change, ...]:
    target, kind = relation(node.relation), node.renameType
    if kind is ObjectType.OBJECT_COLUMN:
        return (
            Change(
                Kind.RENAME_COLUMN,
                target,
                Lock.ACCESS_EXCLUSIVE,
                column=node.subname,
                value=node.newname,
            ),
        )
    if kind is ObjectType.OBJECT_TABLE:
        return (Change(Kind.RENAME_TABLE, target, Lock.ACCESS_EXCLUSIVE, value=node.newname),)
    if kind is ObjectType.OBJECT_TABCONSTRAINT:
        return (Change(Kind.ALTER_OTHER, target, Lock.ACCESS_EXCLUSIVE, name=node.subname),)
    if kind is ObjectType.OBJECT_TRIGGER:
        return (Change(Kind.TRIGGER, target, Lock.ACCESS_EXCLUSIVE, name=node.subname),)
    if kind is ObjectType.OBJECT_INDEX:
        return (Change(Kind.OTHER_DDL, target, Lock.SHARE_UPDATE_EXCLUSIVE, value=node.newname),)
    lock = Lock.ACCESS_EXCLUSIVE if target else Lock.NONE
    return (Change(Kind.OTHER_DDL, target, lock, value=node.newname),)


def _setting(node: ast.VariableSetStmt) -> tuple[Change, ...]:
    values = [_constant(arg) for arg in node.args or ()]
    value = ", ".join(value for value in values if value is not None) or None
    resets = node.kind in {
        VariableSetKind.VAR_RESET,
        VariableSetKind.VAR_SET_DEFAULT,
        VariableSetKind.VAR_RESET_ALL,
    }
    if node.name == "lock_timeout" or node.kind is VariableSetKind.VAR_RESET_ALL:
        return (Change(Kind.LOCK_TIMEOUT, name="lock_timeout", value="0" if resets else value),)
    return (Change(Kind.SETTING, name=node.name, value=value),)


def _constant(node: ast.Node) -> str | None:
    """Return the text of a constant argument (``'1s'``, ``0``), or None."""
    if not isinstance(node, ast.A_Const) or node.isnull:
        return None
    val = node.val
    if isinstance(val, ast.Integer):
        return str(val.ival)
    if isinstance(val, ast.Float):
        return val.fval
    if isinstance(val, ast.String):
        return val.sval
    return None


def _lock_table(node: ast.LockStmt) -> tuple[Change, ...]:
    lock = Lock(node.mode or Lock.ACCESS_EXCLUSIVE)
    return tuple(Change(Kind.LOCK_TABLE, relation(rel), lock) for rel in node.relations or ())


def _truncate(node: ast.TruncateStmt) -> tuple[Change, ...]:
    return tuple(
        Change(Kind.LOCK_TABLE, relation(rel), Lock.ACCESS_EXCLUSIVE)
        for rel in node.relations or ()
    )


def _dml(node: ast.Node) -> tuple[Change, ...]:
    return (Change(Kind.DML, relation(getattr(node, "relation", None)), Lock.ROW_EXCLUSIVE),)


def _select(node: ast.SelectStmt) -> tuple[Change, ...]:
    ctes = node.withClause.ctes if node.withClause else ()
    writes = [cte.ctequery for cte in ctes or () if isinstance(cte.ctequery, _DML)]
    if writes:
        return tuple(change for query in writes for change in _dml(query))
    return (Change(Kind.OTHER, lock=Lock.ACCESS_SHARE),)


def _copy(node: ast.CopyStmt) -> tuple[Change, ...]:
    lock = Lock.ROW_EXCLUSIVE if node.is_from else Lock.ACCESS_SHARE
    return (Change(Kind.DML, relation(node.relation), lock),)


def _maintenance(node: ast.VacuumStmt) -> tuple[Change, ...]:
    options = {option.defname for option in node.options or () if isinstance(option, ast.DefElem)}
    lock = Lock.ACCESS_EXCLUSIVE if "full" in options else Lock.SHARE_UPDATE_EXCLUSIVE
    targets = [
        relation(target.relation)
        for target in node.rels or ()
        if isinstance(target, ast.VacuumRelation)
    ]
    return tuple(Change(Kind.OTHER, target, lock) for target in targets) or (
        Change(Kind.OTHER, lock=lock),
    )


def _trigger(node: ast.CreateTrigStmt) -> tuple[Change, ...]:
    table = relation(node.relation)
    return (Change(Kind.TRIGGER, table, Lock.SHARE_ROW_EXCLUSIVE, name=node.trigname),)


def _function(node: ast.CreateFunctionStmt) -> tuple[Change, ...]:
    parts = names(node.funcname)
    return (Change(Kind.FUNCTION, name=parts[-1] if parts else None),)


_HANDLERS: dict[type[ast.Node], Callable[..., tuple[Change, ...]]] = {
    ast.AlterTableStmt: alter_table,
    ast.CreateStmt: _create_table,
    ast.IndexStmt: _create_index,
    ast.DropStmt: _drop,
    ast.ReindexStmt: _reindex,
    ast.RenameStmt: _rename,
    ast.VariableSetStmt: _setting,
    ast.LockStmt: _lock_table,
    ast.TruncateStmt: _truncate,
    ast.SelectStmt: _select,
    ast.CopyStmt: _copy,
    ast.VacuumStmt: _maintenance,
    ast.CreateTrigStmt: _trigger,
    ast.CreateFunctionStmt: _function,
    **{node: _dml for node in _DML},
}


def changes(node: ast.Node | None) -> tuple[Change, ...]:
    """Return the changes one parsed statement makes (none for an empty one)."""
    if node is None:
        return ()
    handler = _HANDLERS.get(type(node))
    if handler is not None:
        return handler(node)
    if isinstance(node, ast.CreateTableAsStmt) and node.objtype is ObjectType.OBJECT_TABLE:
        return (Change(Kind.CREATE_TABLE, relation(node.into.rel if node.into else None)),)
    if isinstance(node, ast.ConstraintsSetStmt):
        return (Change(Kind.SETTING, name="constraints"),)
    if isinstance(node, ast.ClusterStmt):
        return (Change(Kind.OTHER, relation(node.relation), Lock.ACCESS_EXCLUSIVE),)
    if isinstance(node, ast.RefreshMatViewStmt):
        lock = Lock.EXCLUSIVE if node.concurrent else Lock.ACCESS_EXCLUSIVE
        return (Change(Kind.OTHER_DDL, relation(node.relation), lock),)
    if isinstance(node, _DDL_NODES) or type(node).__name__.startswith(_DDL_PREFIXES):
        return (Change(Kind.OTHER_DDL),)
    return (Change(Kind.OTHER),)
