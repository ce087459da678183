"""The release a database is at: the one recorded when it was migrated, else inferred.

``zdt migrate`` and ``zdt upgrade`` record the release they migrated to (table
``zdt_database_release``), so a release that adds no migration is the database's only once it
was migrated to. A database the toolkit never migrated is inferred from ``django_migrations``:
the newest release whose head migrations are all applied (of releases sharing their heads, the
first). A record is believed while its heads are applied and nothing newer is.
"""

from __future__ import annotations

import getpass
import os
import socket
import sys

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from zerodowntime.deploy.releases import Head, ReleaseManifest

RECORD_TABLE = "zdt_database_release"


def applied_migrations(connection: BaseDatabaseWrapper | None = None) -> set[Head]:
    """Return every ``(app, name)`` recorded in ``django_migrations``."""
    connection = connection or default_connection
    if "django_migrations" not in connection.introspection.table_names():
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        return {(app, name) for app, name in cursor.fetchall()}


def release_of(manifest: ReleaseManifest, applied: set[Head]) -> str | None:
    """Return the release inferred from ``applied`` migrations (None: none is applied).

    It is the newest release with heads, all applied; when older releases have the same
    heads (releases without migrations), the oldest of them: the others were never shown to be
    deployed.
    """
    versions = manifest.versions
    for position in range(len(versions) - 1, -1, -1):
        heads = set(manifest.heads(versions[position]))
        if heads and heads <= applied:
            while position > 0 and set(manifest.heads(versions[position - 1])) == heads:
                position -= 1
            return versions[position]
    return None


def recorded_release(connection: BaseDatabaseWrapper | None = None) -> str | None:
    """Return the release last recorded for the database (None: never recorded)."""
    connection = connection or default_connection
    if RECORD_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT release FROM {RECORD_TABLE} ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
    return str(row[0]) if row else None


def record_release(version: str, connection: BaseDatabaseWrapper | None = None) -> None:
    """Record that the database was migrated to ``version``: when, by whom, which command."""
    connection = connection or default_connection
    by = f"{getpass.getuser()}@{socket.gethostname()}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {RECORD_TABLE} (release, recorded_at, by, pid, command)"
            " VALUES (%s, %s, %s, %s, %s)",
            [version, timezone.now(), by, os.getpid(), " ".join(sys.argv)],
        )


def current_release(
    manifest: ReleaseManifest, connection: BaseDatabaseWrapper | None = None
) -> str | None:
    """Return the database's current release (None for a database no release migrated)."""
    applied = applied_migrations(connection)
    inferred = release_of(manifest, applied)
    recorded = recorded_release(connection)
    if recorded is None or recorded not in manifest.versions:
        return inferred
    if not set(manifest.heads(recorded)) <= applied:
        return inferred  # rolled back, or migrated by hand since
    if inferred is not None and manifest.index(inferred) > manifest.index(recorded):
        return inferred
    return recorded
