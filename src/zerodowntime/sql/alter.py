"""The changes of an ALTER TABLE statement, one per action, with the lock each action takes."""

from __future__ import annotations

from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType
from pglast.stream import RawStream

from zerodowntime.sql.columns import CONSTRAINTS, column_facts, names, not_null_column, relation
from zerodowntime.sql.facts import Change, Constraint, Kind, Lock, Relation

AT = AlterTableType
#: Actions taking less than ACCESS EXCLUSIVE (PostgreSQL's ALTER TABLE documentation).
_WEAKER_LOCKS = {
    AT.AT_SetStatistics: Lock.SHARE_UPDATE_EXCLUSIVE,
    AT.AT_SetOptions: Lock.SHARE_UPDATE_EXCLUSIVE,
    AT.AT_ResetOptions: Lock.SHARE_UPDATE_EXCLUSIVE,
    AT.AT_ClusterOn: Lock.SHARE_UPDATE_EXCLUSIVE,
    AT.AT_DropCluster: Lock.SHARE_UPDATE_EXCLUSIVE,
    AT.AT_ValidateConstraint: Lock.SHARE_UPDATE_EXCLUSIVE,
    AT.AT_AttachPartition: Lock.SHARE_UPDATE_EXCLUSIVE,
    AT.AT_DetachPartitionFinalize: Lock.SHARE_UPDATE_EXCLUSIVE,
    AT.AT_EnableTrig: Lock.SHARE_ROW_EXCLUSIVE,
    AT.AT_EnableAlwaysTrig: Lock.SHARE_ROW_EXCLUSIVE,
    AT.AT_EnableReplicaTrig: Lock.SHARE_ROW_EXCLUSIVE,
    AT.AT_EnableTrigAll: Lock.SHARE_ROW_EXCLUSIVE,
    AT.AT_EnableTrigUser: Lock.SHARE_ROW_EXCLUSIVE,
    AT.AT_DisableTrig: Lock.SHARE_ROW_EXCLUSIVE,
    AT.AT_DisableTrigAll: Lock.SHARE_ROW_EXCLUSIVE,
    AT.AT_DisableTrigUser: Lock.SHARE_ROW_EXCLUSIVE,
}
#: Storage parameters whose SET/RESET takes only SHARE UPDATE EXCLUSIVE.
_LIGHT_PARAMETERS = ("fillfactor", "autovacuum_", "toast", "parallel_workers")
_TABLES = {ObjectType.OBJECT_TABLE, ObjectType.OBJECT_FOREIGN_TABLE}


def _parameters_lock(options: object) -> Lock:
    """Return the lock of ``SET (parameter = ...)``: light parameters only, or not."""
    items = options if isinstance(options, tuple) else ()
    params = [option.defname or "" for option in items if isinstance(option, ast.DefElem)]
    light = all(param.startswith(_LIGHT_PARAMETERS) for param in params)
    return Lock.SHARE_UPDATE_EXCLUSIVE if light else Lock.ACCESS_EXCLUSIVE


def _lock(command: ast.AlterTableCmd) -> Lock:
    subtype, definition = command.subtype, command.def_
    if subtype in {AT.AT_SetRelOptions, AT.AT_ResetRelOptions}:
        return _parameters_lock(definition)
    if isinstance(definition, ast.PartitionCmd) and definition.concurrent:
        return Lock.SHARE_UPDATE_EXCLUSIVE
    if isinstance(definition, ast.Constraint) and definition.contype is ConstrType.CONSTR_FOREIGN:
        return Lock.SHARE_ROW_EXCLUSIVE
    return _WEAKER_LOCKS.get(subtype, Lock.ACCESS_EXCLUSIVE) if subtype else Lock.ACCESS_EXCLUSIVE


def _add_constraint(table: Relation, lock: Lock, constraint: ast.Constraint) -> Change:
    kind_of = CONSTRAINTS.get(constraint.contype) if constraint.contype else None
    name, not_valid = constraint.conname, bool(constraint.skip_validation)
    if kind_of in {Constraint.UNIQUE, Constraint.PRIMARY_KEY}:
        return Change(
            Kind.ADD_UNIQUE,
            table,
            lock,
            name=name,
            unique=True,
            constraint=kind_of,
            using_index=constraint.indexname,
        )
    if kind_of is Constraint.CHECK:
        column = not_null_column(constraint.raw_expr)
        return Change(
            Kind.ADD_CHECK,
            table,
            lock,
            column=column,
            name=name,
            not_valid=not_valid,
            constraint=kind_of,
        )
    if kind_of is Constraint.FOREIGN_KEY:
        return Change(
            Kind.ADD_FOREIGN_KEY,
            table,
            lock,
            name=name,
            not_valid=not_valid,
            constraint=kind_of,
            references=tuple(filter(None, [relation(constraint.pktable)])),
        )
    if kind_of is Constraint.NOT_NULL:
        keys = names(constraint.keys)
        return Change(
            Kind.SET_NOT_NULL,
            table,
            lock,
            column=keys[0] if keys else None,
            name=name,
            not_null=True,
            not_valid=not_valid,
            constraint=kind_of,
        )
    return Change(Kind.ALTER_OTHER, table, lock, name=name, constraint=kind_of)


def _command(table: Relation, command: ast.AlterTableCmd, lock: Lock) -> Change:
    subtype, name, definition = command.subtype, command.name, command.def_
    if subtype is AT.AT_AddColumn and isinstance(definition, ast.ColumnDef):
        facts = column_facts(definition)
        return Change(
            Kind.ADD_COLUMN,
            table,
            lock,
            column=facts.name,
            not_null=facts.not_null,
            has_default=facts.has_default,
            volatile_default=facts.volatile_default,
            references=facts.references,
        )
    if subtype is AT.AT_AddConstraint and isinstance(definition, ast.Constraint):
        return _add_constraint(table, lock, definition)
    simple = {
        AT.AT_DropColumn: (Kind.DROP_COLUMN, "column"),
        AT.AT_SetNotNull: (Kind.SET_NOT_NULL, "column"),
        AT.AT_DropNotNull: (Kind.DROP_NOT_NULL, "column"),
        AT.AT_ValidateConstraint: (Kind.VALIDATE, "name"),
        AT.AT_DropConstraint: (Kind.DROP_CONSTRAINT, "name"),
    }
    if subtype in simple:
        kind, field = simple[subtype]
        if field == "column":
            return Change(kind, table, lock, column=name, not_null=kind is Kind.SET_NOT_NULL)
        return Change(kind, table, lock, name=name)
    if subtype is AT.AT_AlterColumnType and isinstance(definition, ast.ColumnDef):
        new_type = RawStream()(definition.typeName) if definition.typeName else None
        return Change(Kind.ALTER_TYPE, table, lock, column=name, value=new_type)
    return Change(Kind.ALTER_OTHER, table, lock, column=name)


def alter_table(statement: ast.AlterTableStmt) -> tuple[Change, ...]:
    """Return one change per action of an ALTER TABLE (ALTER INDEX, VIEW, ... are other DDL)."""
    table = relation(statement.relation)
    commands = [cmd for cmd in statement.cmds or () if isinstance(cmd, ast.AlterTableCmd)]
    if table is None or statement.objtype not in _TABLES:
        lock = max((_lock(cmd) for cmd in commands), default=Lock.ACCESS_EXCLUSIVE)
        return (Change(Kind.OTHER_DDL, table, lock),)
    return tuple(_command(table, cmd, _lock(cmd)) for cmd in commands)
