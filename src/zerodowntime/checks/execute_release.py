"""Run a release's ORM code on the new schema: create, read, update and delete every model.

Run as ``python -m zerodowntime.checks.execute_release DATABASE OUTPUT.json``: the runner starts
it in the worktree of ``zdt check --since REF`` (``zerodowntime.deploy.ref_code``), so REF's
models, managers, ``save()`` and signals run, once the migration chain has brought the scratch
DATABASE to the working tree's heads. For every concrete, managed model of the project apps an
instance is created with generated values (model_bakery, or the callable ``ZDT_CHECK_FACTORIES``
names for the model), read back, updated and deleted, each operation in its own savepoint and
all of it rolled back. Every database error is recorded with the SQL that raised it.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from zerodowntime.checks.facts import Execution, OperationFailure

# "column "sku" of relation "shop_product" does not exist", "column shop_product.sku does not
# exist", "relation "shop_product" does not exist": where PostgreSQL names what is missing.
_MISSING_COLUMN = re.compile(
    r'column (?:"(?P<quoted>[^"]+)"|(?P<table>\w+)\.(?P<column>\w+)|(?P<bare>\w+))'
    r'(?: of relation "(?P<relation>[^"]+)")? does not exist'
)
_MISSING_RELATION = re.compile(r'relation "(?P<relation>[^"]+)" does not exist')


class FailedStatement:
    """Remember the first statement that raised (a ``connection.execute_wrapper``)."""

    def __init__(self) -> None:
        self.sql: str | None = None

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        """Run the statement; remember its SQL when it raises."""
        try:
            return execute(sql, params, many, context)
        except Exception:
            if self.sql is None:
                self.sql = sql
            raise


def where_it_failed(error: Exception, table: str) -> tuple[str, str | None, str | None]:
    """Return (table, column, SQLSTATE) of a database error (``table``: when it names none)."""
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    sqlstate = getattr(cause, "sqlstate", None)
    column = getattr(diag, "column_name", None)
    table = getattr(diag, "table_name", None) or table
    message = str(error)
    missing = _MISSING_COLUMN.search(message)
    if missing:
        column = missing["quoted"] or missing["column"] or missing["bare"]
        table = missing["relation"] or missing["table"] or table
    elif relation := _MISSING_RELATION.search(message):
        table = relation["relation"].split(".")[-1]
    return table, column, sqlstate


class Exerciser:
    """Run each ORM operation of one model in its own savepoint, recording database errors."""

    def __init__(self, model: Any, statement: FailedStatement, execution: Execution) -> None:
        self.model = model
        self.label = model._meta.label
        self.statement = statement
        self.execution = execution

    def attempt(self, operation: str, action: Callable[[], Any]) -> tuple[bool, Any]:
        """Return (True, result) of ``action``, or (False, None) after a database error."""
        from django.db import DatabaseError, transaction

        self.statement.sql = None
        try:
            with transaction.atomic():
                return True, action()
        except DatabaseError as error:
            table, column, sqlstate = where_it_failed(error, self.model._meta.db_table)
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            self.execution.failures.append(
                OperationFailure(
                    self.label, operation, first_line, self.statement.sql, table, column, sqlstate
                )
            )
            return False, None


def _create(model: Any, factory: Callable[[], Any] | None) -> Any:
    """Return a saved instance of ``model``: the project's factory's, else model_bakery's."""
    from django.db import DatabaseError
    from model_bakery import baker

    if factory is not None:
        return factory()
    try:
        return baker.make(model, _fill_optional=True)
    except DatabaseError:
        raise
    except Exception:  # noqa: BLE001 - an optional field it cannot fill: required ones only
        return baker.make(model)


def _update(instance: Any) -> None:
    """Give ``instance`` new generated values (its own fields, no relation) and save it."""
    from model_bakery import baker

    try:
        fresh = baker.prepare(type(instance), _fill_optional=True)
    except Exception:  # noqa: BLE001 - saved unchanged: still an UPDATE of every column
        fresh = None
    for field in instance._meta.concrete_fields:
        if fresh is None or field.primary_key or field.is_relation or not field.editable:
            continue
        if not getattr(field, "generated", False):
            setattr(instance, field.attname, getattr(fresh, field.attname))
    instance.save()


def exercise(
    model: Any, factory: Callable[[], Any] | None, statement: FailedStatement, execution: Execution
) -> None:
    """Create, read, update and delete one instance of ``model``, then roll it all back."""
    from django.db import transaction

    runner = Exerciser(model, statement, execution)
    manager = model._base_manager
    with transaction.atomic():
        try:
            created, instance = runner.attempt("create", lambda: _create(model, factory))
            if created:
                runner.attempt("read", lambda: manager.get(pk=instance.pk))
                runner.attempt("update", lambda: _update(instance))
                runner.attempt("delete", instance.delete)
            else:  # the SELECT of every column runs on an empty table too
                runner.attempt("read", lambda: list(manager.all()[:1]))
        except Exception as error:  # noqa: BLE001 - not a database error: the model is skipped
            execution.skipped[runner.label] = f"{type(error).__name__}: {error}".splitlines()[0]
        else:
            execution.exercised.append(runner.label)
        transaction.set_rollback(True)


def execute(factories: Mapping[str, Callable[[], Any]]) -> Execution:
    """Exercise every concrete, managed model of the project apps; return what happened."""
    from django.db import connection

    from zerodowntime.project_apps import project_models

    execution = Execution()
    statement = FailedStatement()
    with connection.execute_wrapper(statement):
        for model in sorted(project_models(), key=lambda m: m._meta.label):
            exercise(model, factories.get(model._meta.label), statement, execution)
    return execution


def main(argv: list[str]) -> None:
    """Exercise the models on the scratch database ``argv[0]``; write JSON to ``argv[1]``."""
    import django

    django.setup()
    from django.db import connections

    from zerodowntime import conf

    database, output = argv
    connection = connections["default"]
    connection.close()
    connection.settings_dict["NAME"] = database
    execution = execute(conf.check_factories())
    connection.close()
    with open(output, "w") as handle:
        json.dump(asdict(execution), handle)


if __name__ == "__main__":
    main(sys.argv[1:])
