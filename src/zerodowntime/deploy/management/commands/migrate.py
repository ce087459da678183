"""``manage.py migrate`` that stops the gated apps at the running release's heads.

A process runs one release (``ZDT_RELEASE``). Without an app label, ``migrate`` brings
the gated apps to that release's head migrations rather than to the newest ones, so a process of
an older release (or its test database) never gets a schema from the future. With an app label,
when the running release is the newest of a folder manifest, or in a project whose releases are
git refs and that names no ``ZDT_RELEASE``, it is Django's ``migrate`` unchanged.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from typing import Any

from django.core.management.base import CommandParser
from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django.db.migrations import Migration

from zerodowntime import conf, ddl
from zerodowntime.deploy.migrate import migrate_to_release
from zerodowntime.deploy.migration_lines import summarize


class Command(DjangoMigrateCommand):
    help = (
        "Update the database schema. Without arguments, the release app stops at the head"
        " migration of the running release (ZDT_RELEASE)."
    )
    # ``migrate_to_release`` asks for Django's own migrate of every app when the code on
    # disk is the release's (``whole_plan``): not an option of the command line.
    stealth_options = (*DjangoMigrateCommand.stealth_options, "whole_plan")

    def add_arguments(self, parser: CommandParser) -> None:
        """Add ``--one-line`` to Django's options."""
        super().add_arguments(parser)
        parser.add_argument(
            "--one-line",
            action="store_true",
            help="Print only one line per migration: what it did, its strongest lock and how"
            " long that lock was held.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.one_line = bool(options.get("one_line"))
        self.recording = ExitStack()
        if self.one_line:
            options["verbosity"] = 0
        if not conf.has_releases() or options.pop("whole_plan", False):
            super().handle(*args, **options)  # no releases, or the release's own code
            return
        if conf.git_releases() is not None and conf.get().release is None:
            super().handle(*args, **options)  # the code's own migrations, as Django would
            return
        release, folders = conf.release(), conf.git_releases() is None
        if options.get("app_label") or (folders and release == conf.release_manifest().newest):
            super().handle(*args, **options)
            return
        migrate_to_release(
            release.version,
            database=options["database"],
            verbosity=options["verbosity"],
            stdout=self.stdout,
            one_line=self.one_line,
        )

    def migration_progress_callback(
        self, action: str, migration: Migration | None = None, fake: bool = False
    ) -> None:
        """Print Django's progress, or with ``--one-line`` one line per migration."""
        if not getattr(self, "one_line", False):
            super().migration_progress_callback(action, migration, fake)
            return
        if action in ("apply_start", "unapply_start"):
            self.recording.close()
            self.records = self.recording.enter_context(ddl.recording())
            self.started = time.monotonic()
        elif action in ("apply_success", "unapply_success") and migration is not None:
            self.recording.close()
            line = summarize(
                f"{migration.app_label}.{migration.name}",
                [operation.describe() for operation in migration.operations],
                self.records,
                finished_at=time.time(),
                seconds=time.monotonic() - self.started,
            )
            undone = "  unapplied " if action == "unapply_success" else "  "
            self.stdout.write(f"{undone}{line}{' (faked)' if fake else ''}")
