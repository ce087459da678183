"""Migrate a database to the head migration of a release."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS
from django.db.migrations.loader import MigrationLoader

from zerodowntime import conf


def migrate_to_release(
    version: str | None,
    *,
    database: str = DEFAULT_DB_ALIAS,
    verbosity: int = 1,
    stdout: Any = None,
    one_line: bool = False,
) -> str:
    """Apply the release app's migrations up to ``version``'s head, then every other app's.

    With ``one_line``, each migration prints one line (what it did, its strongest lock and
    how long it was held) and nothing else. Return the version migrated to.
    """
    manifest = conf.release_manifest()
    release = manifest.get(version) if version else manifest.newest
    options = {"database": database, "interactive": False, "stdout": stdout, "one_line": one_line}
    call_command(
        "migrate", manifest.app_label, release.head_migration, verbosity=verbosity, **options
    )
    migrated_apps = MigrationLoader(None, ignore_no_migrations=True).migrated_apps
    for config in apps.get_app_configs():
        if config.label != manifest.app_label and config.label in migrated_apps:
            call_command("migrate", config.label, verbosity=max(verbosity - 1, 0), **options)
    return release.version
