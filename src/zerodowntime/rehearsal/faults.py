"""Inject the faults of a real upgrade into a rehearsal at seeded times, and record each one.

:class:`FaultInjector` wraps the rehearsal's local deployer
(:class:`~zerodowntime.deploy.executor.DeployerWrapper`) and acts at the steps of the upgrade:

- ``blocker``: before every migrate, a transaction that holds a read lock on every table of
  the database for a few seconds (as a long report or a forgotten ``BEGIN`` would);
- ``kill_worker``: SIGKILL of the worker in the middle of a backfill, then a replacement of
  the same release (as a supervisor would start one);
- ``restart_database``: a fast restart of PostgreSQL (``pg_ctl restart -m fast``) during a
  backfill;
- ``kill_server``: SIGKILL of one app server while traffic runs; it leaves the rotation at
  once (as a load balancer's health check would take it out) and a replacement of the same
  release starts and joins;
- ``stop_broker``: the broker (Redis) stopped for ten seconds.

The blocker comes with every migrate; the other faults are spread over the upgrades of the
path (the backfill faults first, since the first upgrade is where backfills usually run), at
times drawn from the rehearsal's seed. Each fault leaves a :class:`FaultRecord` whose window
(on the rehearsal's clock) is where failed requests are expected and counted apart. The
database restart and the broker stop need the embedded servers (``zdt up``); with servers of
one's own they are recorded as skipped.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from zerodowntime.deploy.background_status import DONE, BackgroundProgress
from zerodowntime.deploy.executor import Deployer, DeployerWrapper
from zerodowntime.deploy.plan import Action, Step
from zerodowntime.rehearsal.cluster import ManagedProcess
from zerodowntime.rehearsal.deployer import LocalDeployer
from zerodowntime.rehearsal.records import CheckResult, FaultRecord
from zerodowntime.services import EmbeddedPostgres, EmbeddedRedis, embedded_state, state_dir
from zerodowntime.waiting import WaitTimeout, wait_until

logger = logging.getLogger("zerodowntime.rehearsal")

BLOCKER_APPLICATION = "zdt-fault-blocker"
BLOCKER_SECONDS = (4.0, 8.0)
BROKER_SECONDS = 10.0
# The faults besides the blocker, in groups; group i goes to upgrade i (modulo their number).
GROUPS: tuple[tuple[str, ...], ...] = (
    ("kill_worker", "restart_database"),
    ("kill_server",),
    ("stop_broker",),
)
KINDS = ("blocker", *(kind for group in GROUPS for kind in group))
WAITERS = "SELECT 1 FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid)) LIMIT 1"
USER_TABLES = """
SELECT schemaname, relname FROM pg_stat_user_tables
WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2
"""
# A backfill's "done" line; a worker may write each record twice (its own handler and Celery's),
# with the same millisecond timestamp, so lines are told apart by timestamp and name.
DONE_LINE = re.compile(
    r"(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}).*?\b(?P<name>[\w.-]+): done, \d+ rows"
)
Clock = Callable[[], float]


@dataclass(frozen=True)
class FaultPlan:
    """Which faults each upgrade of a path gets, and the seeded numbers that time them."""

    upgrades: int
    seed: int = 0
    broker_seconds: float = BROKER_SECONDS
    blocker_seconds: tuple[float, float] = BLOCKER_SECONDS
    rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rng", random.Random(f"faults-{self.seed}"))

    def kinds(self, upgrade: int) -> tuple[str, ...]:
        """Return the faults of upgrade number ``upgrade`` (0-based) besides the blocker."""
        count = max(self.upgrades, 1)
        return tuple(
            kind for number, group in enumerate(GROUPS) if number % count == upgrade
            for kind in group
        )  # fmt: skip

    def draw(self, low: float, high: float) -> float:
        """Return the next seeded number between ``low`` and ``high``."""
        return round(self.rng.uniform(low, high), 3)


class Blocker(threading.Thread):
    """A transaction holding ACCESS SHARE on every table, in front of a migration.

    It holds its locks until a backend has waited behind it for ``seconds`` (the migration
    may take a while to start), or until :meth:`finish` is called; then it rolls back.
    ``waited_from`` is the clock's time of the first wait seen (None: nobody waited).
    """

    def __init__(self, database_url: str, seconds: float, clock: Clock) -> None:
        super().__init__(name="zdt-fault-blocker", daemon=True)
        self.database_url = database_url
        self.seconds = seconds
        self.clock = clock
        self.waited_from: float | None = None
        self.released_at: float | None = None
        self._finish = threading.Event()
        self.connection = psycopg.connect(database_url, application_name=BLOCKER_APPLICATION)
        tables = self.connection.execute(USER_TABLES).fetchall()
        self.tables = [sql.Identifier(schema, name) for schema, name in tables]
        if self.tables:
            self.connection.execute(
                sql.SQL("LOCK TABLE {} IN ACCESS SHARE MODE").format(
                    sql.SQL(", ").join(self.tables)
                )
            )
        self.pid = self.connection.info.backend_pid

    def run(self) -> None:
        try:
            with psycopg.connect(self.database_url, autocommit=True) as watch:
                while not self._finish.is_set():
                    if self.waited_from is None and watch.execute(WAITERS, [self.pid]).fetchone():
                        self.waited_from = self.clock()
                    if self.waited_from is not None and (
                        self.clock() - self.waited_from >= self.seconds
                    ):
                        break
                    self._finish.wait(0.05)
        except psycopg.Error as exc:
            logger.warning("the blocker stopped watching its waiters: %s", exc)
        finally:
            with contextlib.suppress(psycopg.Error):
                self.connection.rollback()
            self.connection.close()
            self.released_at = self.clock()

    def finish(self) -> None:
        """Release the locks now (the migration ended), and wait until they are released."""
        self._finish.set()
        self.join()


class FaultInjector(DeployerWrapper):
    """Do the local deployer's steps, with the faults of :class:`FaultPlan` injected."""

    def __init__(
        self,
        local: LocalDeployer,
        plan: FaultPlan,
        *,
        clock: Clock,
        redis_url: str,
        services_dir: Path | None = None,
    ) -> None:
        super().__init__(local)
        self.local = local
        self.plan = plan
        self.clock = clock
        self.redis_url = redis_url
        self.services_dir = services_dir or state_dir()
        self.records: list[FaultRecord] = []
        self.upgrade = -1

    def wrapping(self, inner: Deployer) -> FaultInjector:
        """Inject the faults around ``inner`` (the deployer of the next upgrade); return self."""
        self.inner = inner
        self.name = inner.name
        return self

    # The steps -------------------------------------------------------------------------

    def step_started(self, step: Step, number: int, total: int) -> None:
        """Count the upgrades (each begins by stopping the workers), then pass the hook on."""
        if step.action is Action.STOP_WORKERS:
            self.upgrade += 1
        super().step_started(step, number, total)

    def migrate(self, release: str) -> str | None:
        """Migrate while a blocker transaction holds every table for a few seconds."""
        seconds = self.plan.draw(*self.plan.blocker_seconds)
        blocker = Blocker(self.local.database_url, seconds, self.clock)
        fault = self._begin(
            "blocker",
            release,
            f"pid {blocker.pid} ({BLOCKER_APPLICATION}) holds ACCESS SHARE on"
            f" {len(blocker.tables)} tables until the migration has waited {seconds:g} s",
        )
        blocker.start()
        try:
            return super().migrate(release)
        finally:
            blocker.finish()
            if blocker.waited_from is None:
                fault.detail += "; nothing waited for it"
            else:
                fault.started = blocker.waited_from  # the window: while something waited
            fault.ended = blocker.released_at
            logger.warning("fault blocker over at %.1f s", fault.end)

    def wait_background(self, release: str) -> str | None:
        """Inject this upgrade's faults while the backfills run, then wait for them."""
        for kind in self.plan.kinds(max(self.upgrade, 0)):
            getattr(self, kind)(release)
        return super().wait_background(release)

    # The faults ------------------------------------------------------------------------

    def kill_worker(self, release: str) -> None:
        """SIGKILL the worker once a backfill is under way; start a replacement of ``release``."""
        state = self._wait_for_backfill(share=self.plan.draw(0.1, 0.4))
        workers = list(self.local.cluster.workers)
        if not workers:
            self._skip("kill_worker", release, "no worker was running")
            return
        worker = workers[-1]
        fault = self._begin("kill_worker", release, f"SIGKILL {worker.name} ({state})")
        _kill(worker)
        self.local.cluster.workers.remove(worker)
        replacement = self.local.cluster.start_worker(release)
        self.local.wait_registered(replacement)
        fault.detail += f"; {replacement.name} started and registered"
        self._end(fault)

    def restart_database(self, release: str) -> None:
        """Restart PostgreSQL (fast shutdown) while a backfill runs."""
        postgres = self._embedded_postgres()
        if postgres is None:
            self._skip("restart_database", release, "the database server is not the embedded one")
            return
        state = self._wait_for_backfill(share=self.plan.draw(0.5, 0.8))
        fault = self._begin("restart_database", release, f"pg_ctl restart -m fast ({state})")
        postgres.restart()
        self._end(fault)

    def kill_server(self, release: str) -> None:
        """SIGKILL one app server; the rotation drops it and a replacement of ``release`` joins."""
        time.sleep(self.plan.draw(1.0, 3.0))
        cluster = self.local.cluster
        servers = list(cluster.servers)
        if not servers:
            self._skip("kill_server", release, "no app server was running")
            return
        victim = servers[self.plan.rng.randrange(len(servers))]
        in_flight = cluster.rotation.in_flight(victim.address)
        fault = self._begin(
            "kill_server", release, f"SIGKILL {victim.name} with {in_flight} requests in flight"
        )
        _kill(victim)
        cluster.rotation.remove(victim.address)
        cluster.servers.remove(victim)
        replacement = cluster.start_server(victim.release)
        cluster.rotation.add(replacement.address)
        fault.detail += f"; {replacement.name} in rotation"
        self._end(fault)

    def stop_broker(self, release: str) -> None:
        """Stop the embedded Redis for ``broker_seconds``, then start it again on its port."""
        redis, port = self._embedded_redis()
        if redis is None or port is None:
            self._skip("stop_broker", release, "the broker is not the embedded Redis")
            return
        time.sleep(self.plan.draw(0.5, 2.0))
        seconds = self.plan.broker_seconds
        fault = self._begin("stop_broker", release, f"Redis stopped for {seconds:g} s")
        redis.stop()
        time.sleep(seconds)
        redis.start(port)
        self._end(fault)

    # Helpers ---------------------------------------------------------------------------

    def _begin(self, kind: str, release: str, detail: str) -> FaultRecord:
        record = FaultRecord(kind=kind, release=release, started=self.clock(), detail=detail)
        self.records.append(record)
        logger.warning("fault %s at %.1f s: %s", kind, record.started, detail)
        return record

    def _end(self, record: FaultRecord) -> None:
        record.ended = self.clock()
        logger.warning("fault %s over at %.1f s", record.kind, record.ended)

    def _skip(self, kind: str, release: str, reason: str) -> None:
        record = self._begin(kind, release, f"skipped: {reason}")
        record.ended, record.skipped = record.started, True

    def _wait_for_backfill(self, *, share: float, timeout: float = 60.0) -> str:
        """Wait until a backfill has done ``share`` of its rows (or all are done); describe it."""

        def where() -> str | None:
            progress = _read_progress(self.local)
            running = [p for p in progress if p.status != DONE]
            if not running:
                return "after the backfills had finished" if progress else "no backfill registered"
            for backfill in running:
                if backfill.rows_total and backfill.rows_done >= share * backfill.rows_total:
                    return f"{backfill.name} at {backfill.rows_done}/{backfill.rows_total} rows"
            return None

        try:
            return wait_until(where, timeout=timeout, interval=0.05, what="no backfill got far")
        except WaitTimeout:
            return "the backfill did not start in time"

    def _embedded_postgres(self) -> EmbeddedPostgres | None:
        """Return the embedded PostgreSQL when it is the rehearsal's server."""
        postgres, state = EmbeddedPostgres(self.services_dir), embedded_state(self.services_dir)
        port = urlsplit(self.local.database_url).port
        if state is None or state.postgres_port != port or not postgres.is_running():
            return None
        return postgres

    def _embedded_redis(self) -> tuple[EmbeddedRedis | None, int | None]:
        """Return the embedded Redis and its port when it is the rehearsal's broker."""
        redis, state = EmbeddedRedis(self.services_dir), embedded_state(self.services_dir)
        port = urlsplit(self.redis_url).port
        if state is None or state.redis_port != port or redis.pid() is None:
            return None, None
        return redis, port


def _kill(process: ManagedProcess) -> None:
    """SIGKILL the process group of ``process`` and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.popen.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.popen.wait(timeout=10)


def _read_progress(local: LocalDeployer) -> list[BackgroundProgress]:
    """Return the backfills' progress ([] while the database does not answer)."""
    try:
        return local.background_progress() or []
    except psycopg.Error:
        return []


def backfills_finished_once(
    progress: Sequence[BackgroundProgress], worker_logs: Sequence[Path]
) -> CheckResult:
    """Check that every backfill is done and that the workers finished each one exactly once."""
    name = "backfills finished exactly once"
    if not progress:
        return CheckResult(name, CheckResult.SKIPPED, "no background migration")
    events: set[tuple[str, str, str]] = set()
    for log in worker_logs:
        with contextlib.suppress(OSError):
            text = log.read_text(errors="replace")
            events.update((log.name, m["at"], m["name"]) for m in DONE_LINE.finditer(text))
    finished = Counter(name for _, _, name in events)
    wrong = [
        f"{p.name}: {p.status}, finished {finished[p.name]} times"
        for p in progress
        if p.status != DONE or finished[p.name] > 1
    ]
    if wrong:
        return CheckResult(name, CheckResult.FAILED, "; ".join(wrong))
    counts = ", ".join(f"{p.name} {finished[p.name]}" for p in progress)
    return CheckResult(name, CheckResult.PASSED, f"done; finished by a worker: {counts}")
