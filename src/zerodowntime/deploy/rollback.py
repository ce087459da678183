"""What migrating back to an older release would unapply and drop, read before anything runs.

The migrations to unapply come from Django's migration plan to the target release's head. The
columns and tables they drop are those of the models in the migration state before the plan and
not after it, that the live database still has; each comes with how many values it holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps.registry import Apps
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor

from zerodowntime.deploy.releases import ReleaseManifest


@dataclass(frozen=True)
class Unapplied:
    """A migration the rollback unapplies, with what its operations did."""

    app_label: str
    name: str
    description: str


@dataclass(frozen=True)
class Dropped:
    """A column (``column`` set) or a whole table the rollback drops, and the values it holds.

    ``values`` is the column's non-NULL values, or the table's rows.
    """

    table: str
    column: str | None
    values: int

    def __str__(self) -> str:
        if self.column is None:
            return f"table {self.table} ({self.values:,} rows)"
        return f"column {self.table}.{self.column} ({self.values:,} non-NULL values)"


@dataclass(frozen=True)
class RollbackPlan:
    """The migrations a rollback unapplies and the data it drops."""

    target: str
    unapplied: tuple[Unapplied, ...]
    dropped: tuple[Dropped, ...]


def _columns(state_apps: Apps) -> dict[str, set[str]]:
    """Return the columns of every table of the managed models of a migration state."""
    tables: dict[str, set[str]] = {}
    for model in state_apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy:
            columns = tables.setdefault(meta.db_table, set())
            columns.update(f.column for f in meta.local_concrete_fields if f.column)
    return tables


def _count(connection: BaseDatabaseWrapper, table: str, columns: list[str]) -> list[int]:
    """Return the row count of ``table`` followed by the non-NULL count of each column."""
    quote = connection.ops.quote_name
    selected = ", ".join(["count(*)", *(f"count({quote(c)})" for c in columns)])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selected} FROM {quote(table)}")
        return [int(value) for value in cursor.fetchone()]


def plan_rollback(
    manifest: ReleaseManifest, target: str, connection: BaseDatabaseWrapper | None = None
) -> RollbackPlan:
    """Return what migrating the gated apps back to ``target``'s heads would unapply and drop."""
    connection = connection or default_connection
    executor = MigrationExecutor(connection)
    loader = executor.loader
    heads = list(manifest.heads(target))
    steps = [(m, backwards) for m, backwards in executor.migration_plan(heads) if backwards]
    if not steps:
        return RollbackPlan(target, (), ())
    unapplied = tuple(
        Unapplied(m.app_label, m.name, "; ".join(op.describe() for op in m.operations))
        for m, _ in steps
    )
    applied = [key for key in loader.applied_migrations if key in loader.graph.nodes]
    before = _columns(loader.project_state(applied, at_end=True).apps)
    kept = [key for key in applied if key not in {(m.app_label, m.name) for m, _ in steps}]
    after = _columns(loader.project_state(kept, at_end=True).apps)
    live_tables = set(connection.introspection.table_names())
    dropped: list[Dropped] = []
    for table in sorted(before):
        if table not in live_tables:
            continue
        with connection.cursor() as cursor:
            live = {c.name for c in connection.introspection.get_table_description(cursor, table)}
        if table not in after:
            dropped.append(Dropped(table, None, _count(connection, table, [])[0]))
            continue
        columns = sorted((before[table] - after[table]) & live)
        if columns:
            counts = _count(connection, table, columns)[1:]
            dropped += [Dropped(table, c, n) for c, n in zip(columns, counts, strict=True)]
    return RollbackPlan(target, unapplied, tuple(dropped))
