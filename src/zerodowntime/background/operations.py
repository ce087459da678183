"""Migration operations that start background migrations and make sure they finished."""

from __future__ import annotations

import logging
import re
from functools import partial
from typing import Any

from django.db import connections, router, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

from zerodowntime import conf
from zerodowntime.background.enqueue import enqueue
from zerodowntime.background.exceptions import BackfillError, BackfillNotFinished
from zerodowntime.background.models import BackgroundMigration
from zerodowntime.background.records import ensure_record, records_table_exists
from zerodowntime.background.registry import get_backfill
from zerodowntime.background.runner import run_backfill

logger = logging.getLogger(__name__)

RECORDS_DEPENDENCY = ("zdt_background", "0001_initial")


def _require_records_table(using: str) -> None:
    if not records_table_exists(using):
        raise BackfillError(
            f"the table {BackgroundMigration._meta.db_table} does not exist: add"
            f" {RECORDS_DEPENDENCY!r} to this migration's dependencies"
        )


def _migration_is_atomic(schema_editor: BaseDatabaseSchemaEditor) -> bool:
    """Return True when the migration asked for a transaction (``atomic = True``).

    Zero-downtime backends run every migration in autocommit and keep the migration's flag as
    ``atomic_requested``; with Django's backend the open transaction tells.
    """
    requested = getattr(schema_editor, "atomic_requested", None)
    if requested is not None:
        return bool(requested)
    return bool(schema_editor.connection.in_atomic_block)


def _fragment(text: str) -> str:
    return re.sub(r"\W+", "_", text).strip("_").lower()


class RegisterBackgroundMigration(Operation):
    """Record a background migration (idempotent) and queue it once the migration commits.

    The schema (and Django's state) is untouched; the rows are changed later by workers, in
    batches. Reversing removes the record.
    """

    reversible = True
    reduces_to_sql = False

    def __init__(self, name: str) -> None:
        self.name = name

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        """Change nothing in Django's model state."""

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        """Create the record if missing and enqueue the backfill after commit."""
        alias = schema_editor.connection.alias
        if not router.allow_migrate(alias, app_label):
            return
        _require_records_table(alias)
        record = ensure_record(self.name, using=alias)
        if self.name not in conf.background_migrations():
            logger.warning(
                "background migration %r is recorded but not in ZDT_BACKGROUND_MIGRATIONS;"
                " no worker of this project can run it",
                self.name,
            )
        logger.info("registered background migration %r (%s)", self.name, record.status)
        if not record.is_done:
            transaction.on_commit(partial(enqueue, self.name), using=alias)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        """Delete the record."""
        alias = schema_editor.connection.alias
        if router.allow_migrate(alias, app_label) and records_table_exists(alias):
            BackgroundMigration.objects.using(alias).filter(name=self.name).delete()

    def describe(self) -> str:
        """Return a one-line description for ``migrate`` and ``sqlmigrate``."""
        return f"Register background migration {self.name}"

    @property
    def migration_name_fragment(self) -> str:
        """Return a name fragment for ``makemigrations``."""
        return f"register_{_fragment(self.name)}"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        """Return the arguments that rebuild this operation in a migration file."""
        return (self.__class__.__qualname__, [self.name], {})


class FinishBackgroundMigrations(Operation):
    """Make sure background migrations are complete before a constraint relies on them.

    With ``inline=True`` each one is finished here from its cursor, with the same batches as
    the workers (so the migration must have ``atomic = False``), then no row may match its
    pending condition. With ``inline=False`` an unfinished one stops the migration with the
    command to run.
    """

    reversible = True
    reduces_to_sql = False
    zdt_batched = True  # its data work runs in batches: not a data loop for `zdt check`

    def __init__(self, names: list[str], inline: bool = True) -> None:
        self.names = list(names)
        self.inline = inline

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        """Change nothing in Django's model state."""

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        """Finish (or check) every named background migration; raise if rows are left."""
        connection = schema_editor.connection
        alias = connection.alias
        if not router.allow_migrate(alias, app_label):
            return
        if self.inline and _migration_is_atomic(schema_editor):
            raise BackfillError(
                f"{self.describe()} commits one transaction per batch:"
                " set atomic = False on the migration"
            )
        _require_records_table(alias)
        for name in self.names:
            if self.inline:
                self._finish_inline(name, alias)
            else:
                self._check_finished(name, alias)

    def _finish_inline(self, name: str, alias: str) -> None:
        record = ensure_record(name, using=alias)
        logger.info("finishing background migration %r inline (%s)", name, record.status)
        wait = conf.get().background_task_time_budget + 10
        record = run_backfill(name, using=alias, wait_for_lock=wait, progress=_log_batch)
        pending = _pending_rows(name, alias)
        if pending:
            raise BackfillNotFinished(
                f"{pending} rows still match the pending condition of {name!r} after it finished:"
                " a process of an older release is still writing them; stop it, then migrate again"
            )
        logger.info("background migration %r is finished: %d rows", name, record.rows_done)

    def _check_finished(self, name: str, alias: str) -> None:
        record = BackgroundMigration.objects.using(alias).filter(name=name).first()
        pending = _pending_rows(name, alias)
        if record is None or not record.is_done or pending:
            status = "not registered" if record is None else record.status
            raise BackfillNotFinished(
                f"background migration {name!r} is not finished ({status}, {pending} rows"
                f" pending): run `zdt backfills run {name}`, then migrate again"
            )

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        """Do nothing: filled rows may stay filled."""

    def describe(self) -> str:
        """Return a one-line description for ``migrate`` and ``sqlmigrate``."""
        how = "inline" if self.inline else "or stop"
        return f"Finish background migrations {', '.join(self.names)} ({how})"

    @property
    def migration_name_fragment(self) -> str:
        """Return a name fragment for ``makemigrations``."""
        return "finish_" + "_".join(_fragment(name) for name in self.names)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        """Return the arguments that rebuild this operation in a migration file."""
        kwargs = {} if self.inline else {"inline": False}
        return (self.__class__.__qualname__, [self.names], kwargs)


def _pending_rows(name: str, alias: str) -> int:
    """Return how many rows match the pending condition of backfill ``name``."""
    backfill = get_backfill(name)
    with connections[alias].cursor() as cursor:
        table = backfill.quoted_table(cursor)
        cursor.execute(f"SELECT count(*) FROM {table} WHERE ({backfill.pending_condition})")
        return int(cursor.fetchone()[0])


def _log_batch(record: BackgroundMigration) -> None:
    logger.debug(
        "%s: %d rows, pk %s, batch %d",
        record.name,
        record.rows_done,
        record.cursor,
        record.batch_size,
    )
