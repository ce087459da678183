"""The manual deployer of ``zdt upgrade``: it migrates and reports; the processes are yours."""

from __future__ import annotations

from collections.abc import Callable

from zerodowntime.deploy.background_status import (
    BackgroundProgress,
    describe,
    read_progress,
    unfinished,
    wait_finished,
)
from zerodowntime.deploy.executor import Deployer, DeployError

Echo = Callable[[str], None]


def _background_progress() -> list[BackgroundProgress] | None:
    """Return the progress of the background migrations of Django's default database."""
    from django.db import connection

    with connection.cursor() as cursor:
        return read_progress(cursor)


class ManualDeployer(Deployer):
    """Migrate with the toolkit and report the backfills; print the steps that are the user's.

    The workers and app servers run under the user's process manager: their steps print what
    to do. Before migrating it checks that no worker is live (``allow_skip`` only warns).
    ``wait_for_backfills`` makes the background step wait (printing progress) instead of
    reporting once: for deployers that started the new workers themselves.
    """

    name = "manual"

    def __init__(
        self,
        echo: Echo = print,
        *,
        allow_skip: bool = False,
        wait_for_backfills: bool = False,
        background_timeout: float = 3600.0,
    ) -> None:
        self.echo = echo
        self.allow_skip = allow_skip
        self.wait_for_backfills = wait_for_backfills
        self.background_timeout = background_timeout

    def stop_workers(self, release: str) -> str | None:
        """Check that no worker is live (the workers are stopped by the user, before)."""
        from zerodowntime.deploy.heartbeat import live_processes

        workers = [p for p in live_processes() if p.role == "worker"]
        if not workers:
            return "no worker is live: done"
        releases = ", ".join(sorted({p.release for p in workers}))
        message = f"{len(workers)} worker process(es) of release {releases} are still running"
        if not self.allow_skip:
            raise DeployError(f"{message}: stop the workers before migrating")
        return f"warning: {message} (--allow-skip)"

    def migrate(self, release: str) -> str | None:
        """Migrate the database to ``release`` in this process."""
        from zerodowntime.deploy.migrate import migrate_to_release

        migrate_to_release(release)
        return None

    def start_workers(self, release: str) -> str | None:
        """Say how to start the workers of ``release``."""
        return f"yours to do: start the workers of {release} (`zdt worker --release {release}`)"

    def wait_background(self, release: str) -> str | None:
        """Report the unfinished background migrations, or wait for them."""
        pending = unfinished(_background_progress())
        if not pending:
            return "no background migration pending"
        if not self.wait_for_backfills:
            for progress in pending:
                self.echo(f"   {describe(progress)}")
            return "the new workers run them: follow them with `zdt status`"
        try:
            wait_finished(
                _background_progress, timeout=self.background_timeout, report=self._report
            )
        except TimeoutError as exc:
            raise DeployError(f"{exc}: see `zdt backfills` and the workers' logs") from exc
        return None

    def roll_app_servers(self, release: str) -> str | None:
        """Say how to roll the app servers to ``release``."""
        return (
            f"yours to do: for each app server start `zdt serve --release {release}`, wait for"
            " /health/, move traffic to it, then stop the old one"
        )

    def _report(self, pending: list[BackgroundProgress]) -> None:
        for progress in pending:
            self.echo(f"   {describe(progress)}")
