"""One row read by primary key, one row inserted, with SQL built once per model.

The API's hottest paths are `product(id)` and `productCreate`. Through the ORM, each call builds
and compiles a new query (``filter(pk=...).first()``, ``objects.create(...)``): most of the CPU
of a `product(id)` request. The SQL of these two statements depends only on the model, so it is
built once per model and connection, and each call only runs it and sets the instance's values
as the ORM does (each field's ``pre_save`` and ``get_db_prep_save`` on the way in, its database
converters and ``Model.from_db`` on the way out). Model signals are not sent.

The insert skips a row that a unique column already holds (``ON CONFLICT (column) DO NOTHING``)
instead of raising: the transaction stays usable, so no savepoint is needed to try another value.
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


def insert_unless_taken(instance: Model, *, unique: str) -> bool:
    """Insert ``instance`` and return True, or return False when column ``unique`` has its value.

    The instance gets its primary key and database defaults, as after ``save()``.
    """
    model = type(instance)
    meta, alias = model._meta, router.db_for_write(model, instance=instance)
    connection = connections[alias]
    fields = tuple(
        field
        for field in meta.local_concrete_fields
        if field is not meta.auto_field or instance.pk is not None
    )
    values = [field.pre_save(instance, True) for field in fields]
    defaulted = tuple(isinstance(value, DatabaseDefault) for value in values)
    insert = _insert(model, connection, fields, defaulted, unique)
    params = [
        field.get_db_prep_save(value, connection)
        for field, value, default in zip(fields, values, defaulted, strict=True)
        if not default
    ]
    with connection.cursor() as cursor:
        cursor.execute(insert.sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    returned = _convert(row, insert.converters, connection) if insert.converters else row
    for field, value in zip(insert.returning, returned, strict=True):
        setattr(instance, field.attname, value)
    instance._state.adding = False
    instance._state.db = alias
    return True
