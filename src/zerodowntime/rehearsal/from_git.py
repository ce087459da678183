"""Rehearse an upgrade of any Django project between git refs, with generic ORM traffic.

``zdt rehearse --from REF [--to REF]``: a scratch database on the project's own server is
migrated to REF with REF's code (:mod:`zerodowntime.deploy.ref_code`) and populated with
generated rows of every project model; ORM clients of REF's code
(:mod:`zerodowntime.rehearsal.orm_fleet`) send traffic while each later release is deployed, one
at a time, through the plan and executor of every upgrade by
:class:`~zerodowntime.rehearsal.orm_deployer.OrmDeployer`: the new release migrates while the
old release's clients run, then its own clients replace them. At the end every acknowledged
write must be there and every acknowledged delete gone
(:mod:`zerodowntime.rehearsal.orm_integrity`). The result is the catalog rehearsal's
:class:`~zerodowntime.rehearsal.orchestrator.RehearsalResult`, so the summary, the report and the
verdict are the same.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg
from django.apps import apps

from zerodowntime import conf
from zerodowntime.deploy.background_status import BackgroundProgress, read_progress
from zerodowntime.deploy.background_status import records_table as background_table
from zerodowntime.deploy.executor import StepResult, execute
from zerodowntime.deploy.heartbeat import live_releases_at
from zerodowntime.deploy.plan import Action, Step, plan_upgrade
from zerodowntime.deploy.ref_code import OVERLAY_MODULE, RefCode, checkout, database_overlay
from zerodowntime.deploy.releases import ReleaseError, ReleaseManifest
from zerodowntime.project import settings_module
from zerodowntime.rehearsal.cpu_groups import remove_shared_groups
from zerodowntime.rehearsal.database_priority import (
    MIGRATE,
    DeploymentWorkPriority,
    environment_named,
)
from zerodowntime.rehearsal.integrity import run_checks
from zerodowntime.rehearsal.orchestrator import (
    PHASE_OF,
    SECONDS_DETAIL,
    Observer,
    QuietObserver,
    RehearsalConfig,
    RehearsalError,
    RehearsalResult,
    check_path,
)
from zerodowntime.rehearsal.orm_deployer import OrmDeployer
from zerodowntime.rehearsal.orm_fleet import CLIENT_MODULE, OrmFleet
from zerodowntime.rehearsal.orm_integrity import AcknowledgedDeletes, AcknowledgedWrites
from zerodowntime.rehearsal.probes import LockProbe
from zerodowntime.rehearsal.records import close_phase, open_phase
from zerodowntime.rehearsal.start_database import copy_kept, forget, keep, kept_name
from zerodowntime.scratch import create_database, database_conninfo
from zerodowntime.subprocesses import CommandFailed


def release_path(manifest: ReleaseManifest, start: str, end: str | None) -> tuple[str, ...]:
    """Return the releases from ``start`` to ``end`` (default: the newest), one at a time."""
    end = end or manifest.newest.version
    first, last = manifest.index(start), manifest.index(end)
    if last <= first:
        raise ReleaseError(f"--to {end} must be a release after --from {start}")
    return tuple(manifest.versions[first : last + 1])


class _GitRun:
    """The state of one rehearsal from git refs while it runs; it hears the executor's steps."""

    def __init__(
        self,
        config: RehearsalConfig,
        observer: Observer,
        *,
        fresh_database: bool = False,
        say: Callable[[str], object] = lambda text: None,
    ) -> None:
        from django.db import connection

        self.config = config
        self.fresh_database = fresh_database
        self.say = say
        self.observer = observer
        self.connection = connection
        if conf.git_releases() is None:
            raise RehearsalError(
                "--from rehearses releases from git: set ZDT_RELEASES_FROM_GIT in the settings"
            )
        self.manifest = conf.release_manifest()
        if check_path(self.manifest, config.path):
            raise RehearsalError(f"the path {','.join(config.path)} skips a release")
        self.settings = settings_module()
        self.origin = time.monotonic()
        self.overlay = (config.workdir / "settings").resolve()
        self.logs = config.workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.codes: dict[str, RefCode] = {}
        self.database = ""
        self.result = RehearsalResult(
            config, False, datetime.now(UTC).isoformat(timespec="seconds")
        )

    def clock(self) -> float:
        """Return the seconds since the rehearsal began (the clock its clients share)."""
        return time.monotonic() - self.origin

    def code(self, release: str) -> RefCode:
        """Return ``release``'s checked-out code, on the rehearsal's database."""
        if release not in self.codes:
            folder = checkout(release)
            self.codes[release] = RefCode(release, folder, OVERLAY_MODULE, (self.overlay,))
        return self.codes[release]

    def child(
        self, release: str, command: list[str], what: str, log_name: str, role: str = "setup"
    ) -> str:
        """Run ``command`` with ``release``'s code; return its stdout or raise with its output.

        Its connections are named for ``role`` (``zdt-migrate-v2``), as the priority watcher
        finds the upgrade's own work by that name.
        """
        log = self.logs / f"{log_name}.log"
        try:
            result = self.code(release).run(command, environment_named(role, release))
        except CommandFailed as exc:
            log.write_text(exc.stdout + exc.stderr)
            raise RehearsalError(f"{what} failed at {release}:\n{exc.tail()}") from None
        log.write_text(result.stdout + result.stderr)
        return result.stdout

    def migrate(self, release: str) -> str:
        """Run ``zdt migrate --release RELEASE`` with that release's code."""
        code = self.code(release)
        ddl_log = str((self.logs / f"migrate-{release}-statements.log").resolve())
        command = code.zdt("migrate", "--release", release, "--log-file", ddl_log)
        return self.child(
            release, command, f"`zdt migrate --release {release}`", f"migrate-{release}", MIGRATE
        )

    def populate(self, release: str) -> None:
        """Fill every project model with rows, with ``release``'s code; note those left out."""
        specs = [str(self.config.rows), *self.config.model_rows]
        command = self.code(release).python(CLIENT_MODULE, "populate", *specs)
        output = self.child(release, command, "populating the models", "populate")
        self.result.left_out.update(json.loads(output.strip().splitlines()[-1])["left_out"])

    def phase_at(self, seconds: float) -> str:
        """Return the name of the phase under way at ``seconds``."""
        name = "setup"
        for phase in self.result.phases:
            if phase.started <= seconds:
                name = phase.name
        return name

    def end_phase(self) -> None:
        close_phase(self.result.phases, self.clock())

    def begin(self, name: str, kind: str, release: str) -> None:
        self.observer.phase(open_phase(self.result.phases, self.clock(), name, kind, release))

    def step_started(self, step: Step, number: int, total: int) -> None:
        """Begin the phase of ``step`` unless the previous step began it."""
        kind = PHASE_OF[step.action]
        last = self.result.phases[-1]
        if (last.kind, last.release, last.ended) != (kind, step.release, None):
            self.begin(f"{kind} {step.release}", kind, step.release)

    def step_finished(self, result: StepResult) -> None:
        """Add the step's duration (and the roll's switches) to its phase."""
        phase = self.result.phases[-1]
        detail = SECONDS_DETAIL.get(result.step.action)
        if detail is not None:
            phase.detail[detail] = round(phase.detail.get(detail, 0.0) + result.seconds, 3)
        if result.step.action is Action.ROLL_APP_SERVERS:
            phase.detail["switches"] = list(self.deployer.switches)

    def step_failed(self, step: Step, number: int, error: BaseException) -> None:
        """Let the error end the rehearsal (the executor raises it)."""

    def live_releases(self) -> list[str]:
        """Return the releases of the processes whose heartbeat is recent."""
        if not apps.is_installed("zerodowntime.deploy"):
            return []
        return live_releases_at(self.database)

    def background(self) -> list[BackgroundProgress] | None:
        """Return the progress of the background migrations of the rehearsal's database."""
        table = background_table()
        if table is None:
            return None
        with psycopg.connect(self.database, autocommit=True) as conn, conn.cursor() as cur:
            return read_progress(cur, table)

    def upgrade(self, current: str, release: str) -> None:
        """Deploy ``release`` over ``current`` through the plan, then let its clients run."""
        plan = plan_upgrade(
            self.manifest.versions,
            current=current,
            target=release,
            live_releases=self.live_releases(),
        )
        execute(plan, self.deployer, [self])
        self.begin(f"after {release}", "after", release)
        time.sleep(self.config.phase_seconds)

    def start_database(self, first: str) -> None:
        """Create the database at ``first``, migrated and populated, or copy the one kept."""
        config = self.config
        kept = kept_name(self.manifest.get(first).commit, config.rows, config.model_rows)
        if self.fresh_database:
            forget(self.connection, kept)
        left_out = copy_kept(self.connection, config.database_name, kept)
        if left_out is not None:
            self.result.left_out.update(left_out)
            self.say(
                f"The rehearsal starts from {kept}, {first} migrated and populated by an"
                " earlier run (--fresh-database rebuilds it)."
            )
            return
        create_database(self.connection, config.database_name)
        self.migrate(first)
        self.populate(first)
        keep(self.connection, config.database_name, kept, dict(self.result.left_out))
        self.say(f"Kept {first} migrated and populated as {kept} for the next rehearsal from it.")

    def run(self) -> RehearsalResult:
        config, path = self.config, self.config.path
        first = path[0]
        self.database = database_conninfo(self.connection, config.database_name)
        database_overlay(self.overlay, self.settings, config.database_name)
        self.start_database(first)
        probe = LockProbe(self.database, clock=self.clock)
        fleet = OrmFleet(
            self.code,
            config.workdir,
            rate=config.rate / config.servers,
            seed=config.seed,
            origin=self.origin,
            phase_at=self.phase_at,
            exclude=sorted(self.result.left_out),
        )
        priority = DeploymentWorkPriority(self.database, niceness=config.database_work_niceness)
        began = time.monotonic()
        try:
            with fleet:
                self.deployer = OrmDeployer(
                    fleet,
                    self.code,
                    self.migrate,
                    self.background,
                    background_timeout=config.background_timeout,
                )
                probe.start()
                if config.database_work_niceness:
                    priority.start()
                self.begin(f"baseline {first}", "baseline", first)
                self.observer.started(fleet, probe)
                fleet.start_many(first, config.servers)
                time.sleep(config.phase_seconds)
                for current, release in zip(path, path[1:], strict=False):
                    self.upgrade(current, release)
                fleet.stop_all()
                self.end_phase()
        finally:
            probe.stop()
            priority.stop()
            self.end_phase()
            self.observer.finished()
        self.result.lowered_statements = priority.statements()
        self.result.lowered_in_cpu_group = priority.cpu_group is not None
        self.result.seconds = round(time.monotonic() - began, 3)
        self.result.left_out.update(fleet.left_out)
        self.result.records = sorted(fleet.records, key=lambda r: r.scheduled)
        self.result.lock_samples = list(probe.samples)
        self.result.background = self.background() or []
        checks = [AcknowledgedWrites(), AcknowledgedDeletes()]
        self.result.checks = run_checks(self.database, checks, fleet.acknowledgements)
        return self.result


def rehearse_from_git(
    config: RehearsalConfig,
    observer: Observer | None = None,
    *,
    fresh_database: bool = False,
    say: Callable[[str], object] = lambda text: None,
) -> RehearsalResult:
    """Run the rehearsal of ``config.path`` (git refs) with ORM traffic; return what it measured.

    The database migrated and populated at the first release is kept for the next run with the
    same start (:mod:`zerodowntime.rehearsal.start_database`); ``fresh_database`` rebuilds it.
    ``say`` receives a sentence about that.
    """
    run = _GitRun(config, observer or QuietObserver(), fresh_database=fresh_database, say=say)
    try:
        return run.run()
    finally:
        remove_shared_groups()
