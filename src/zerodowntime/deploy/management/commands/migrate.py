"""``manage.py migrate`` that stops the release app at the running release's head.

A process runs one release (``ZDT_RELEASE``). Without an app label, ``migrate`` brings
the release app to that release's head migration rather than to the newest one, so a process of
an older release (or its test database) never gets a schema from the future. With an app label,
or when the running release is the newest, it is Django's ``migrate`` unchanged.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrateCommand

from zerodowntime import conf
from zerodowntime.deploy.migrate import migrate_to_release


class Command(DjangoMigrateCommand):
    help = (
        "Update the database schema. Without arguments, the release app stops at the head"
        " migration of the running release (ZDT_RELEASE)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        release = conf.release()
        if options.get("app_label") or release == conf.release_manifest().newest:
            super().handle(*args, **options)
            return
        migrate_to_release(
            release.version,
            database=options["database"],
            verbosity=options["verbosity"],
            stdout=self.stdout,
        )
