"""The release a database is at: the newest release whose head migration is applied."""

from __future__ import annotations

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

from zerodowntime.deploy.releases import ReleaseManifest


def applied_migrations(app_label: str, connection: BaseDatabaseWrapper | None = None) -> set[str]:
    """Return the names of ``app_label``'s migrations recorded in ``django_migrations``."""
    connection = connection or default_connection
    if "django_migrations" not in connection.introspection.table_names():
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM django_migrations WHERE app = %s", [app_label])
        return {name for (name,) in cursor.fetchall()}


def release_of(manifest: ReleaseManifest, applied: set[str]) -> str | None:
    """Return the newest release whose head migration is in ``applied`` (None: none is)."""
    for release in reversed(manifest.releases):
        if release.head_migration in applied:
            return release.version
    return None


def current_release(
    manifest: ReleaseManifest, connection: BaseDatabaseWrapper | None = None
) -> str | None:
    """Return the database's current release (None for a database no release migrated)."""
    return release_of(manifest, applied_migrations(manifest.app_label, connection))
