"""The generic rehearsal's deployer: the upgrade's actions done with each release's own code.

Its app servers are the ORM clients (:class:`~zerodowntime.rehearsal.orm_fleet.OrmFleet`). It
starts no Celery worker: the background migrations a release registers are run to the end by
``zdt backfills run NAME`` with that release's code, as the step that waits for them, its
connections named as a worker's (``zdt-worker-v2``).
"""

from __future__ import annotations

from collections.abc import Callable

from zerodowntime.deploy.background_status import DONE, BackgroundProgress, wait_finished
from zerodowntime.deploy.executor import Deployer
from zerodowntime.deploy.ref_code import RefCode
from zerodowntime.rehearsal.cluster import ClusterError
from zerodowntime.rehearsal.database_priority import WORKER, environment_named
from zerodowntime.rehearsal.orm_fleet import OrmFleet
from zerodowntime.subprocesses import CommandFailed

NO_WORKERS = "no worker: background migrations run in the step that waits for them"


class OrmDeployer(Deployer):
    """Migrate and roll with each release's code; run background migrations in a child.

    ``run_migrate(release)`` migrates the rehearsal's database with ``release``'s code and
    raises with its output when that fails; ``progress()`` reads the background migrations.
    ``switches`` holds the client replacements of the last roll.
    """

    name = "local"

    def __init__(
        self,
        fleet: OrmFleet,
        code_for: Callable[[str], RefCode],
        run_migrate: Callable[[str], object],
        progress: Callable[[], list[BackgroundProgress] | None],
        *,
        background_timeout: float,
    ) -> None:
        self.fleet = fleet
        self.code_for = code_for
        self.run_migrate = run_migrate
        self.progress = progress
        self.background_timeout = background_timeout
        self.switches: list[str] = []

    def stop_workers(self, release: str) -> str | None:
        """Say that there is no worker to stop."""
        return NO_WORKERS

    def migrate(self, release: str) -> str | None:
        """Migrate with ``release``'s code while the clients of the release before it run."""
        self.run_migrate(release)
        return None

    def start_workers(self, release: str) -> str | None:
        """Say that there is no worker to start."""
        return NO_WORKERS

    def wait_background(self, release: str) -> str | None:
        """Run every unfinished background migration with ``release``'s code, then check."""
        pending = [p.name for p in self.progress() or [] if p.status != DONE]
        code = self.code_for(release)
        env = environment_named(WORKER, release)
        for name in pending:
            try:
                code.run(code.zdt("backfills", "run", name), env)
            except CommandFailed as exc:
                raise ClusterError(f"background migration {name} failed:\n{exc.tail()}") from None
        try:
            wait_finished(self.progress, timeout=self.background_timeout)
        except TimeoutError as exc:
            raise ClusterError(str(exc)) from exc
        return f"ran {', '.join(pending)}" if pending else None

    def roll_app_servers(self, release: str) -> str | None:
        """Replace every ORM client by one of ``release``, one at a time."""
        self.switches = []
        self.fleet.roll(release, on_switch=self.switches.append)
        return None
