"""Migrate a database to the head migrations of a release, and record that it is there."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader

from zerodowntime import conf
from zerodowntime.deploy.current import RECORD_TABLE, record_release


def migrate_to_release(
    version: str | None,
    *,
    database: str = DEFAULT_DB_ALIAS,
    verbosity: int = 1,
    stdout: Any = None,
    one_line: bool = False,
) -> str:
    """Migrate every gated app to ``version``'s heads, then every other app to its newest.

    ``zdt rollback`` goes back through here too (the guards say which way is allowed).

    A gated app (every project app of a git release, the manifest's app of a folder release)
    gets no migration beyond the release's heads, and none at all when it has no migration at
    that release. Then the database's release is recorded. With ``one_line``, each migration
    prints one line (what it did, its strongest lock and how long it was held) and nothing
    else. Return the version migrated to.
    """
    manifest = conf.release_manifest()
    release = manifest.get(version) if version else manifest.newest
    options = {"database": database, "interactive": False, "stdout": stdout, "one_line": one_line}
    connection = connections[database]
    gated = set(manifest.gated_apps)
    loader = MigrationLoader(None, ignore_no_migrations=True)
    heads = sorted(manifest.heads(release.version))
    if set(heads) == {leaf for leaf in loader.graph.leaf_nodes() if leaf[0] in gated}:
        # The code on disk is the release's: Django's own migrate of every app, in Django's
        # order (a project may rely on it across apps without declaring it) and with its
        # signals sent once.
        call_command("migrate", verbosity=verbosity, whole_plan=True, **options)
    else:
        # Older than the code: each gated app stops at its head, in Django's order of apps.
        for app_label, name in heads:
            call_command("migrate", app_label, name, verbosity=verbosity, **options)
        for config in apps.get_app_configs():
            if config.label not in gated and config.label in loader.migrated_apps:
                call_command("migrate", config.label, verbosity=max(verbosity - 1, 0), **options)
    if RECORD_TABLE in connection.introspection.table_names():
        record_release(release.version, connection)
    return release.version
