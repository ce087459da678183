"""The rehearsal's deployer: the upgrade's actions done on the local cluster of processes."""

from __future__ import annotations

import os
from collections.abc import Callable

import psycopg

from zerodowntime.deploy.background_status import BackgroundProgress, read_progress, wait_finished
from zerodowntime.deploy.background_status import records_table as background_table
from zerodowntime.deploy.executor import Deployer
from zerodowntime.deploy.models import ProcessHeartbeat
from zerodowntime.rehearsal.cluster import Cluster, ClusterError, ManagedProcess
from zerodowntime.waiting import WaitTimeout, wait_until

RunMigrate = Callable[[str], object]


class LocalDeployer(Deployer):
    """Stop, start and roll the :class:`Cluster`'s processes; migrate with a child ``zdt``.

    ``run_migrate(release)`` runs ``zdt migrate --release RELEASE`` against the rehearsal's
    database and raises with its output when it fails. ``switches`` holds the app server
    replacements of the last roll.
    """

    name = "local"

    def __init__(
        self,
        cluster: Cluster,
        database_url: str,
        run_migrate: RunMigrate,
        *,
        background_timeout: float,
        register_timeout: float = 90.0,
    ) -> None:
        self.cluster = cluster
        self.database_url = database_url
        self.run_migrate = run_migrate
        self.background_timeout = background_timeout
        self.register_timeout = register_timeout
        self.switches: list[str] = []

    def stop_workers(self, release: str) -> str | None:
        """Stop every worker of the cluster."""
        self.cluster.stop_workers()
        return None

    def migrate(self, release: str) -> str | None:
        """Run ``zdt migrate --release RELEASE`` in a child process."""
        self.run_migrate(release)
        return None

    def start_workers(self, release: str) -> str | None:
        """Start a worker of ``release`` and wait until it has registered its heartbeat."""
        self.wait_registered(self.cluster.start_worker(release))
        return None

    def wait_background(self, release: str) -> str | None:
        """Wait until every background migration is done."""
        try:
            wait_finished(self.background_progress, timeout=self.background_timeout)
        except TimeoutError as exc:
            raise ClusterError(str(exc)) from exc
        return None

    def roll_app_servers(self, release: str) -> str | None:
        """Replace every app server by one of ``release``, one at a time."""
        self.switches = []
        self.cluster.roll(release, on_switch=self.switches.append)
        return None

    def wait_registered(self, process: ManagedProcess) -> None:
        """Wait until ``process`` (or a child in its process group) registered its heartbeat
        and, for a worker, wrote its ready file.

        Then the cluster gives it its normal priority. A worker registers as soon as Django is
        loaded, but Celery's own start-up (beat, the consumer, the pool) takes a second or more
        after that: at the normal priority it would take that CPU from the app servers.
        """
        table = ProcessHeartbeat._meta.db_table
        query = f'SELECT pid FROM "{table}" WHERE role = %s AND release = %s'
        with psycopg.connect(self.database_url, autocommit=True) as conn:

            def registered() -> bool:
                # A worker writes its ready file after it registers: no query until then.
                if process.ready_file is None or process.ready_file.exists():
                    rows = conn.execute(query, [process.role, process.release]).fetchall()
                    if any(_group_of(pid) == process.popen.pid for (pid,) in rows):
                        return True
                if not process.alive():
                    raise ClusterError(f"{process.name} exited:\n{process.log_tail()}")
                return False

            try:
                wait_until(
                    registered,
                    timeout=self.register_timeout,
                    interval=0.2,
                    what=f"{process.name} did not register a heartbeat and get ready",
                )
            except WaitTimeout as exc:
                raise ClusterError(str(exc)) from None
        self.cluster.ready(process)

    def background_progress(self) -> list[BackgroundProgress] | None:
        """Return the progress of every background migration of the rehearsal's database."""
        table = background_table()
        if table is None:
            return None
        with psycopg.connect(self.database_url, autocommit=True) as conn, conn.cursor() as cur:
            return read_progress(cur, table)


def _group_of(pid: int) -> int | None:
    """Return the process group of ``pid`` on this host (None: no such process)."""
    try:
        return os.getpgid(pid)
    except (ProcessLookupError, PermissionError):
        return None
