"""Set NOT NULL on a filled column without a long ACCESS EXCLUSIVE scan."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError
from django.db.migrations.operations.fields import AlterField
from django.db.models import Field

from zerodowntime.db.introspection import column_is_nullable, constraint_exists
from zerodowntime.operations.exceptions import NullValuesRemain, UnsupportedChange

logger = logging.getLogger("zerodowntime.ddl")


# Python-side only: Django fills these values itself and keeps no database default for them.
_PYTHON_ONLY = ("auto_now", "auto_now_add")


def _schema_shape(field: Field, *, ignore: tuple[str, ...] = ()) -> tuple[Any, ...]:
    """Return what of ``field`` reaches the database, leaving out ``ignore``."""
    _, path, args, kwargs = field.deconstruct()
    skipped = set(field.non_db_attrs) | set(_PYTHON_ONLY) | set(ignore)
    return path, args, {k: v for k, v in kwargs.items() if k not in skipped}


class SetNotNullSafely(AlterField):
    """Alter a nullable field to NOT NULL in four short steps, like the zero-downtime editor.

    The database runs the editor's own statements (``_sql_column_not_null``): ADD CONSTRAINT
    CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT (no write lock), SET NOT NULL (no
    scan on PostgreSQL 12+ thanks to the valid check), DROP CONSTRAINT. On top of a plain
    ``AlterField`` it: runs them at once instead of at the end of the migration; never
    back-fills a Python default with an UPDATE; skips the steps already done by an earlier run;
    and if NULLs remain, removes the check it added and raises :class:`NullValuesRemain`.

    The state change is the ``AlterField``'s, so ``makemigrations`` sees nothing pending.
    """

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        """Run the four steps, skipping what is already done."""
        to_model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, to_model):
            return
        from_model = from_state.apps.get_model(app_label, self.model_name)
        old_field = from_model._meta.get_field(self.name)
        new_field = to_model._meta.get_field(self.name)
        self._check_change(old_field, new_field, schema_editor)
        table, column = to_model._meta.db_table, new_field.column
        check = schema_editor._create_index_name(table, [column], suffix="_notnull")
        quote = schema_editor.quote_name
        drop_check = f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(check)}"
        connection = schema_editor.connection
        if not schema_editor.collect_sql and not column_is_nullable(connection, table, column):
            if constraint_exists(connection, table, check):
                schema_editor.execute(drop_check)
            logger.info("%s.%s is already NOT NULL: nothing to do", table, column)
            return
        steps = schema_editor._sql_column_not_null % {
            "table": quote(table),
            "column": quote(column),
            "name": quote(check),
        }
        idempotent = schema_editor.IDEMPOTENT_SQL
        schema_editor.IDEMPOTENT_SQL = not schema_editor.collect_sql
        try:
            schema_editor.execute(steps)
        except IntegrityError as error:
            if constraint_exists(connection, table, check):
                schema_editor.execute(drop_check)
            raise NullValuesRemain(
                f'Column "{column}" of "{table}" still has NULL values, so NOT NULL was not set '
                "(the temporary check was removed). Finish the backfill that fills it, then "
                "migrate again."
            ) from error
        finally:
            schema_editor.IDEMPOTENT_SQL = idempotent

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        """Drop NOT NULL (metadata only)."""
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        column = model._meta.get_field(self.name).column
        quote = schema_editor.quote_name
        schema_editor.execute(
            f"ALTER TABLE {quote(model._meta.db_table)} ALTER COLUMN {quote(column)} DROP NOT NULL"
        )

    def _check_change(self, old_field: Field, new_field: Field, schema_editor: Any) -> None:
        """Refuse anything but null=True -> null=False, and editors without the safe steps."""
        if not (old_field.null and not new_field.null):
            raise UnsupportedChange(
                f"SetNotNullSafely({self.model_name}.{self.name}) needs a field that goes from "
                "null=True to null=False; use AlterField for other changes."
            )
        if _schema_shape(old_field, ignore=("null",)) != _schema_shape(new_field, ignore=("null",)):
            raise UnsupportedChange(
                f"SetNotNullSafely({self.model_name}.{self.name}) changes only NULL; put the "
                "other changes of the field in their own AlterField."
            )
        if not hasattr(schema_editor, "_sql_column_not_null"):
            raise UnsupportedChange(
                "SetNotNullSafely needs ENGINE 'zerodowntime.db.backends.postgres' (or "
                "django_zero_downtime_migrations'); this backend would scan the table under an "
                "ACCESS EXCLUSIVE lock."
            )

    def describe(self) -> str:
        """Return a one-line description for ``migrate --plan``."""
        return (
            f"Set NOT NULL on {self.model_name}.{self.name} safely "
            "(NOT VALID check, validate, set, drop check)"
        )

    @property
    def migration_name_fragment(self) -> str:
        """Return the suffix ``makemigrations`` would use in a migration name."""
        return f"{self.model_name_lower}_{self.name_lower}_not_null"
