"""Collect the SQL each migration really emits by migrating a scratch database step by step.

Run as ``python -m zerodowntime.checks.sql_capture DATABASE OUTPUT.json`` (the runner does it):
the child process points Django's default connection at the scratch DATABASE, then for every
migration of the plan, in order, collects the SQL of the release app's migrations with the
project's own schema editor (``connection.schema_editor(collect_sql=True)``, whatever backend
the settings name), applies the migration for real, and records the table schema after each
release's head. RunPython code therefore only ever touches the scratch database.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Mapping
from contextlib import ExitStack
from typing import Any

from zerodowntime.checks.facts import (
    UNRELEASED,
    WORKING_TREE,
    ChainCapture,
    Column,
    MigrationCapture,
    OperationSQL,
    Table,
)
from zerodowntime.checks.python_sql import recording, runs_python
from zerodowntime.sql import assigned_new_columns

_COLUMNS_SQL = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity <> '' OR a.attgenerated <> ''
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum
"""
# BEFORE (2) INSERT (4) row triggers and the source of their functions.
_TRIGGERS_SQL = """
SELECT c.relname, p.prosrc
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = t.tgfoid
WHERE NOT t.tgisinternal AND n.nspname = current_schema()
  AND (t.tgtype & 2) <> 0 AND (t.tgtype & 4) <> 0
"""


def introspect_tables(connection: Any) -> dict[str, Table]:
    """Return the tables of the current schema with their columns and trigger-filled columns."""
    tables: dict[str, Table] = {}
    with connection.cursor() as cursor:
        cursor.execute(_COLUMNS_SQL)
        for table, name, type_, nullable, default, generated in cursor.fetchall():
            entry = tables.setdefault(table, Table(table, {}))
            entry.columns[name] = Column(name, type_, nullable, default, generated)
        cursor.execute(_TRIGGERS_SQL)
        for table, source in cursor.fetchall():
            if table in tables:
                filled = assigned_new_columns(source or "")
                tables[table].trigger_filled = sorted(set(tables[table].trigger_filled) | filled)
    return tables


def releases_of_migrations(graph: Any, manifest: Any) -> dict[str, str]:
    """Return the release each migration name of the manifest's app ships in."""
    owner: dict[str, str] = {}
    for release in manifest.releases:
        for app_label, name in graph.forwards_plan((manifest.app_label, release.head_migration)):
            if app_label == manifest.app_label:
                owner.setdefault(name, release.version)
    return owner


def capture_migration(
    connection: Any, migration: Any, before: Any, release: str
) -> MigrationCapture:
    """Return the SQL each operation of ``migration`` emits from state ``before``, unapplied.

    ``before`` is the project state just before the migration; it is not changed.
    """
    from django.test.utils import override_settings

    app_label, name = migration.app_label, migration.name
    before.apps  # noqa: B018 - render once: the clones below copy the rendered models
    state = before.clone()
    capture = MigrationCapture(
        app_label=app_label,
        name=name,
        release=release,
        atomic=bool(migration.atomic),
        silences=dict(getattr(migration, "zdt_silence", {}) or {}),
    )
    editor = connection.schema_editor(collect_sql=True, atomic=migration.atomic)
    with editor:
        if editor.collected_sql:  # session settings the editor emits first (lock_timeout)
            preamble = list(editor.collected_sql)
            capture.operations.append(
                OperationSQL(None, "schema editor setup", statements=preamble)
            )
        for index, operation in enumerate(migration.operations):
            entry = OperationSQL(index, operation.describe())
            capture.operations.append(entry)
            old_state = state.clone()
            operation.state_forwards(app_label, state)
            if not operation.reduces_to_sql:
                entry.python = True
                continue
            start = len(editor.collected_sql)
            try:
                operation.database_forwards(app_label, editor, old_state, state)
            except Exception as exc:  # the editor refusing an unsafe operation
                entry.error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
                del editor.collected_sql[start:]
                # Collect what it would run anyway, so the SQL rules can name the problem.
                with override_settings(ZERO_DOWNTIME_MIGRATIONS_RAISE_FOR_UNSAFE=False):
                    retry = connection.schema_editor(collect_sql=True, atomic=False)
                    try:
                        with retry:
                            operation.database_forwards(app_label, retry, old_state, state)
                    except Exception:  # noqa: BLE001 - nothing more to learn
                        pass
                entry.statements = list(retry.collected_sql)
                continue
            entry.statements = list(editor.collected_sql[start:])
        deferred_start = len(editor.collected_sql)
    deferred = editor.collected_sql[deferred_start:]
    if deferred:
        capture.operations.append(OperationSQL(None, "deferred SQL", statements=list(deferred)))
    return capture


def _apply(executor: Any, state: Any, migration: Any) -> Any:
    """Apply one migration as ``migrate`` does inside its plan and return the state after it.

    The state is carried from one migration to the next, as ``migrate`` does, instead of being
    rendered anew for each (most of the time of a long chain). No pre/post_migrate signals:
    ``manage.py migrate`` sends ``post_migrate`` once, after the whole plan, and a project's
    handler (which may query tables of later migrations) must not run between migrations.
    """
    from django.test.utils import override_settings

    if "apps" not in state.__dict__:
        state.apps  # noqa: B018 - render once, as the executor does before applying
    # Unsafe operations were captured above; apply them anyway to reach the next state.
    with override_settings(ZERO_DOWNTIME_MIGRATIONS_RAISE_FOR_UNSAFE=False):
        return executor.apply_migration(state, migration)


def _finish(connection: Any) -> None:
    """Send ``post_migrate`` once, as ``manage.py migrate`` does after its plan."""
    from django.apps import apps
    from django.core.management.sql import emit_post_migrate_signal

    emit_post_migrate_signal(0, False, connection.alias, apps=apps, plan=[])


def capture_chain(
    connection: Any,
    manifest: Any | None,
    project_apps: Collection[str] = (),
    owners: Mapping[tuple[str, str], str] | None = None,
    since: tuple[str, Collection[tuple[str, str]]] | None = None,
) -> ChainCapture:
    """Migrate the (empty) database of ``connection`` one migration at a time, capturing SQL.

    With a release ``manifest``, the migrations of its app are captured and each one is owned
    by the release that ships it. Without one, the migrations of ``project_apps`` are captured,
    owned by the release ``owners`` names (git releases), else by none. ``since`` is a ref and
    its heads (``zdt check --since``): the ref's migrations are applied first, the schema there
    is kept under the ref's name and the schema at the end under ``WORKING_TREE``.
    """
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.state import ProjectState

    executor = MigrationExecutor(connection)
    executor.recorder.ensure_schema()
    loader = executor.loader
    owner = releases_of_migrations(loader.graph, manifest) if manifest else {}
    heads = {r.head_migration: r.version for r in manifest.releases} if manifest else {}
    full_plan = executor.migration_plan(loader.graph.leaf_nodes(), clean_start=True)
    plan = [(migration.app_label, migration.name) for migration, _ in full_plan]
    chain = ChainCapture(
        manifest.app_label if manifest else "", list(manifest.versions) if manifest else [], [], {}
    )
    plan, ref_reached = ref_first(loader.graph, plan, since[1] if since else ())
    if since is not None and ref_reached is None:
        chain.schemas[since[0]] = introspect_tables(connection)
    unreleased = False
    applied = set(loader.applied_migrations)
    state = ProjectState(real_apps=loader.unmigrated_apps)
    for key in plan:  # a scratch database starts empty; this is for completeness
        if key in applied:
            loader.graph.nodes[key].mutate_state(state, preserve=False)
    for app_label, name in plan:
        if (app_label, name) in applied:
            continue
        migration = loader.graph.nodes[(app_label, name)]
        ours = app_label == manifest.app_label if manifest else app_label in project_apps
        if ours:
            release = (
                owner.get(name, UNRELEASED)
                if manifest
                else (owners or {}).get((app_label, name), UNRELEASED)
            )
            unreleased = unreleased or (manifest is not None and release == UNRELEASED)
            chain.migrations.append(capture_migration(connection, migration, state, release))
        record = ours and runs_python(migration)
        try:
            with ExitStack() as stack:
                executed = stack.enter_context(recording(connection)) if record else {}
                state = _apply(executor, state, migration)
        except Exception as exc:  # noqa: BLE001 - reported as a finding
            chain.failure = f"{app_label}.{name}: {type(exc).__name__}: {exc}"
            return chain
        if record:
            chain.migrations[-1].python_sql = list(executed)
            chain.migrations[-1].python_sql_runs = {
                sql: runs for sql, runs in executed.items() if runs > 1
            }
        if ours and name in heads:
            chain.schemas[heads[name]] = introspect_tables(connection)
        if since is not None and (app_label, name) == ref_reached:
            chain.schemas[since[0]] = introspect_tables(connection)
    try:
        _finish(connection)
    except Exception as exc:  # noqa: BLE001 - reported as a finding
        chain.failure = f"post_migrate: {type(exc).__name__}: {exc}"
        return chain
    if unreleased:
        chain.schemas[UNRELEASED] = introspect_tables(connection)
    if since is not None:
        chain.schemas[WORKING_TREE] = introspect_tables(connection)
    return chain


def ref_first(
    graph: Any, plan: list[tuple[str, str]], heads: Collection[tuple[str, str]]
) -> tuple[list[tuple[str, str]], tuple[str, str] | None]:
    """Return ``plan`` with the migrations up to ``heads`` first, and the last of those.

    Both parts keep the order of ``plan`` (Django's own, every app's leaf): the migrations up to
    the heads are a subsequence of it, which is an order they can be applied in even where a
    project left a dependency undeclared that Django's order happens to satisfy. Heads the
    working tree no longer has (a squashed or deleted migration) are left out.
    """
    targets = [head for head in heads if head in graph.nodes]
    if not targets:
        return plan, None
    needed = {key for target in targets for key in graph.forwards_plan(target)}
    first = [key for key in plan if key in needed]
    return first + [key for key in plan if key not in needed], first[-1] if first else None


def git_owners() -> dict[tuple[str, str], str]:
    """Return the git release that first holds each project migration (none without git)."""
    from zerodowntime import conf

    source = conf.git_releases()
    if source is None:
        return {}
    owners: dict[tuple[str, str], str] = {}
    for version in conf.release_manifest().versions:
        for key in source.migrations_at(version):
            owners.setdefault(key, version)
    return owners


def main(argv: list[str]) -> None:
    """Capture the chain into the scratch database ``argv[0]`` and write JSON to ``argv[1]``.

    ``argv[2]``, if given, is the ref of ``zdt check --since`` (git releases).
    """
    import django

    django.setup()
    from django.db import connections

    from zerodowntime import conf
    from zerodowntime.project_apps import project_app_labels

    database, output, *ref = argv
    connection = connections["default"]
    connection.close()
    connection.settings_dict["NAME"] = database
    manifest = conf.release_manifest() if conf.get().release_manifest else None
    since = (ref[0], conf.git_source().heads_at(ref[0])) if ref else None
    chain = capture_chain(connection, manifest, project_app_labels(), git_owners(), since)
    connection.close()
    with open(output, "w") as handle:
        json.dump(chain.to_dict(), handle)


if __name__ == "__main__":
    main(sys.argv[1:])
