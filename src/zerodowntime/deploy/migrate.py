"""Migrate a database to the head migration of a release."""

from __future__ import annotations

from typing import TextIO

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

from zerodowntime.deploy.releases import load_manifest


def migrate_to_release(version: str | None, *, stdout: TextIO | None = None) -> str:
    """Apply every other app's migrations, then the release app's up to ``version``'s head.

    Return the version migrated to.
    """
    manifest = load_manifest(settings.ZDT_RELEASE_MANIFEST)
    release = manifest.get(version) if version else manifest.newest
    migrated_apps = MigrationLoader(None, ignore_no_migrations=True).migrated_apps
    for config in apps.get_app_configs():
        if config.label != manifest.app_label and config.label in migrated_apps:
            call_command("migrate", config.label, verbosity=0, stdout=stdout)
    call_command("migrate", manifest.app_label, release.head_migration, stdout=stdout)
    return release.version
