"""One row read by primary key, one row inserted, with SQL built once per model.

The API's hottest paths are `product(id)` and `productCreate`. Through the ORM, each call builds
and compiles a new query (``filter(pk=...).first()``, ``objects.create(...)``): most of the CPU
of a `product(id)` request. The SQL of these two statements depends only on the model, so it is
built once per model and connection, and each call only runs it and sets the instance's values
as the ORM does (each field's ``pre_save`` and ``get_db_prep_save`` on the way in, its database
converters and ``Model.from_db`` on the way out). Model signals are not sent.

The insert skips a row that a unique column already holds (``ON CONFLICT (column) DO NOTHING``)
instead of raising: the transaction stays usable, so no savepoint is needed to try another value.
``insert_if`` folds what a write checks and reserves first into the same statement: the row is
inserted only when a condition holds (a valid token), with the unique column's value made by
SQL (a slug number reserved from a counter), so a create is one round trip to PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.db.models.expressions import DatabaseDefault

M = TypeVar("M", bound=Model)
Converters = dict[int, tuple[list[Any], Any]]
Sql = tuple[str, Sequence[Any]]
"""A piece of SQL with its ``%s`` parameters."""
WHEN = "{when}"
"""Where a value statement (see ``insert_if``) takes the insert's condition."""


def _convert(
    row: Sequence[Any], converters: Converters, connection: BaseDatabaseWrapper
) -> list[Any]:
    """Return ``row`` with each column's database converters applied, as the ORM applies them."""
    values = list(row)
    for position, (functions, expression) in converters.items():
        for function in functions:
            values[position] = function(values[position], expression, connection)
    return values


@dataclass(frozen=True)
class _Select:
    sql: str
    attnames: list[str]
    converters: Converters


@lru_cache(maxsize=256)
def _select(model: type[Model], connection: BaseDatabaseWrapper) -> _Select:
    """Compile ``model.objects.filter(pk=...)`` once: the SQL and the columns' converters."""
    compiler = model._default_manager.filter(pk=0).query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    if len(params) != 1:
        raise ValueError(f"{model.__name__}: a lookup by primary key with {len(params)} parameters")
    columns = [column for column, _, _ in compiler.select]
    return _Select(sql, [c.target.attname for c in columns], compiler.get_converters(columns))


def get_by_pk(model: type[M], pk: int) -> M | None:
    """Return the ``model`` row with primary key ``pk``, or None: ``filter(pk=pk).first()``."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    select = _select(model, connection)
    with connection.cursor() as cursor:
        cursor.execute(select.sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = _convert(row, select.converters, connection) if select.converters else row
    return model.from_db(alias, select.attnames, values)


@dataclass(frozen=True)
class _Insert:
    sql: str
    returning: list[Field[Any, Any]]
    converters: Converters


@lru_cache(maxsize=256)
def _insert(
    model: type[Model],
    connection: BaseDatabaseWrapper,
    fields: tuple[Field[Any, Any], ...],
    defaulted: tuple[bool, ...],
    unique: str,
) -> _Insert:
    """Build the INSERT of ``fields`` (``DEFAULT`` where ``defaulted``) returning the rest."""
    meta, quote = model._meta, connection.ops.quote_name
    returning = [meta.pk, *(f for f, default in zip(fields, defaulted, strict=True) if default)]
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join("DEFAULT" if default else "%s" for default in defaulted)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values})"
        f" ON CONFLICT ({quote(meta.get_field(unique).column)}) DO NOTHING"
        f" RETURNING {', '.join(quote(field.column) for field in returning)}"
    )
    compiler = model._default_manager.none().query.get_compiler(connection=connection)
    columns_out = [field.get_col(meta.db_table) for field in returning]
    return _Insert(sql, returning, compiler.get_converters(columns_out))


def _concrete_values(
    instance: Model, connection: BaseDatabaseWrapper, skip: str | None = None
) -> tuple[tuple[Field[Any, Any], ...], tuple[bool, ...], list[Any]]:
    """Return the fields an insert sets, which of them take a database default, and the values.

    The values are those of the fields without a default, prepared as ``save()`` prepares them.
    The primary key is left out unless set; so is the field named ``skip``.
    """
    meta = type(instance)._meta
    fields = tuple(
        field
        for field in meta.local_concrete_fields
        if (field is not meta.auto_field or instance.pk is not None) and field.name != skip
    )
    values = [field.pre_save(instance, True) for field in fields]
    defaulted = tuple(isinstance(value, DatabaseDefault) for value in values)
    params = [
        field.get_db_prep_save(value, connection)
        for field, value, default in zip(fields, values, defaulted, strict=True)
        if not default
    ]
    return fields, defaulted, params


def _set_returned(
    instance: Model, insert: _Insert, row: Sequence[Any], connection: BaseDatabaseWrapper
) -> None:
    """Give ``instance`` the values its insert returned and mark it saved, as ``save()`` does."""
    returned = _convert(row, insert.converters, connection) if insert.converters else row
    for field, value in zip(insert.returning, returned, strict=True):
        setattr(instance, field.attname, value)
    instance._state.adding = False
    instance._state.db = connection.alias


def insert_unless_taken(instance: Model, *, unique: str) -> bool:
    """Insert ``instance`` and return True, or return False when column ``unique`` has its value.

    The instance gets its primary key and database defaults, as after ``save()``.
    """
    model = type(instance)
    connection = connections[router.db_for_write(model, instance=instance)]
    fields, defaulted, params = _concrete_values(instance, connection)
    insert = _insert(model, connection, fields, defaulted, unique)
    with connection.cursor() as cursor:
        cursor.execute(insert.sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    _set_returned(instance, insert, row, connection)
    return True


@dataclass(frozen=True)
class Outcome:
    """What ``insert_if`` did: whether its condition held, and whether it inserted the row."""

    allowed: bool
    inserted: bool


@lru_cache(maxsize=256)
def _insert_if(
    model: type[Model],
    connection: BaseDatabaseWrapper,
    fields: tuple[Field[Any, Any], ...],
    unique: str,
    condition: str,
    value: str | None,
) -> _Insert:
    """Build the one statement of ``insert_if`` (fields with a database default are left out)."""
    meta, quote = model._meta, connection.ops.quote_name
    unique_column = quote(meta.get_field(unique).column)
    others = (f for f in meta.local_concrete_fields if f not in fields and f is not meta.pk)
    returning = [meta.pk, *others]  # the primary key first: NULL when nothing was inserted
    columns = [quote(field.column) for field in fields]
    selected = ["%s"] * len(fields)
    sources = ["allowed"]
    ctes = [f"allowed (ok) AS (SELECT {condition})"]
    if value is not None:
        ctes.append(f"made (value) AS ({value.replace(WHEN, '(SELECT ok FROM allowed)')})")
        columns.append(unique_column)
        selected.append("made.value")
        sources.append("made")
    sql = (
        f"WITH {', '.join(ctes)}, inserted AS ("
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)})"
        f" SELECT {', '.join(selected)} FROM {', '.join(sources)} WHERE allowed.ok"
        f" ON CONFLICT ({unique_column}) DO NOTHING"
        f" RETURNING {', '.join(quote(field.column) for field in returning)})"
        " SELECT allowed.ok, inserted.* FROM allowed LEFT JOIN inserted ON true"
    )
    compiler = model._default_manager.none().query.get_compiler(connection=connection)
    columns_out = [field.get_col(meta.db_table) for field in returning]
    return _Insert(sql, returning, compiler.get_converters(columns_out))


def insert_if(instance: Model, *, unique: str, condition: Sql, value: Sql | None = None) -> Outcome:
    """Insert ``instance`` in one statement if ``condition`` holds and column ``unique`` is free.

    ``condition`` is a boolean SQL expression. ``value``, if given, is a statement returning
    the value of column ``unique`` in one row, run only when the condition holds: its text says
    where with ``{when}`` (``... WHERE {when}``); it may write (reserve a number), and that
    write is kept even when the value is taken. Without ``value``, the instance's own is used.
    The instance gets its primary key, database defaults and unique value when inserted.
    """
    model = type(instance)
    connection = connections[router.db_for_write(model, instance=instance)]
    skip = unique if value is not None else None
    fields, defaulted, params = _concrete_values(instance, connection, skip)
    kept = tuple(field for field, default in zip(fields, defaulted, strict=True) if not default)
    value_sql, value_params = value if value is not None else (None, ())
    insert = _insert_if(model, connection, kept, unique, condition[0], value_sql)
    with connection.cursor() as cursor:
        cursor.execute(insert.sql, [*condition[1], *value_params, *params])
        allowed, *row = cursor.fetchone()
    inserted = row[0] is not None
    if inserted:
        _set_returned(instance, insert, row, connection)
    return Outcome(allowed=bool(allowed), inserted=inserted)
