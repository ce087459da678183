"""Rehearse an upgrade path under live traffic: deploy, drive traffic, probe, upgrade, check.

Each step of the path is the upgrade plan of :mod:`zerodowntime.deploy.plan`, run by the
executor of :mod:`zerodowntime.deploy.executor` through the local deployer
(:mod:`zerodowntime.rehearsal.deployer`): stop the workers, migrate, start the new release's
workers, wait for the background migrations, roll the app servers one at a time. The run hears
each step start and end and records the phases; then comes a phase where clients of the new
release and of the previous one (old clients) both send requests.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from zerodowntime import conf
from zerodowntime.deploy.background_status import BackgroundProgress
from zerodowntime.deploy.executor import Deployer, StepResult, execute
from zerodowntime.deploy.guards import ReleaseRefused, check_migration
from zerodowntime.deploy.heartbeat import live_releases_at
from zerodowntime.deploy.plan import Action, Step, plan_upgrade
from zerodowntime.deploy.releases import ReleaseError, ReleaseManifest
from zerodowntime.rehearsal.cluster import Cluster, run_aside
from zerodowntime.rehearsal.cpu_groups import remove_shared_groups
from zerodowntime.rehearsal.database_priority import (
    MIGRATE,
    DeploymentWorkPriority,
    application_name,
)
from zerodowntime.rehearsal.deployer import LocalDeployer
from zerodowntime.rehearsal.faults import FaultInjector, FaultPlan, backfills_finished_once
from zerodowntime.rehearsal.integrity import run_checks
from zerodowntime.rehearsal.probes import LockProbe
from zerodowntime.rehearsal.records import (
    CheckResult,
    FaultRecord,
    LockSample,
    PhaseRecord,
    RequestRecord,
    close_phase,
    open_phase,
)
from zerodowntime.rehearsal.scenario import Scenario, SetupContext
from zerodowntime.rehearsal.server_log import server_errors
from zerodowntime.rehearsal.settle import settle
from zerodowntime.rehearsal.traffic import OpenLoopTraffic, Rotation, TrafficView, WeightedOperation
from zerodowntime.rehearsal.traffic import monotonic_clock as new_clock
from zerodowntime.rehearsal.verdict import WARM_UP
from zerodowntime.scratch import recreate_database
from zerodowntime.subprocesses import CommandFailed, run, zdt_command

OLD_CLIENT_WEIGHT = 0.5
# The phase each action of the plan belongs to, and the detail its duration is added to.
PHASE_OF = {
    Action.STOP_WORKERS: "migrate",
    Action.MIGRATE: "migrate",
    Action.START_WORKERS: "background",
    Action.WAIT_BACKGROUND: "background",
    Action.ROLL_APP_SERVERS: "roll",
}
SECONDS_DETAIL = {
    Action.STOP_WORKERS: "stop_workers_seconds",
    Action.MIGRATE: "migration_seconds",
    Action.START_WORKERS: "background_seconds",
    Action.WAIT_BACKGROUND: "background_seconds",
}
WrapDeployer = Callable[[LocalDeployer], Deployer]


class RehearsalError(RuntimeError):
    """The rehearsal could not run (a command failed, a path is invalid, a wait timed out)."""


@dataclass(frozen=True)
class RehearsalConfig:
    """What to rehearse and how hard."""

    path: tuple[str, ...]
    server_url: str
    redis_url: str
    workdir: Path
    rows: int = 10_000
    rate: float = 25.0
    phase_seconds: float = 15.0
    # Seconds of traffic that warm the first release's servers before the baseline: a phase of
    # its own whose failures count and whose latencies are not judged (0: none).
    warm_up_seconds: float = 0.0
    database_name: str = "zdt_rehearsal"
    servers: int = 2
    seed: int = 0
    background_timeout: float = 900.0
    allow_skip: bool = False  # run a path that skips a release (to show what breaks)
    faults: bool = False  # inject the faults of zerodowntime.rehearsal.faults at seeded times
    # Niceness of the database's backends doing the upgrade's own work while they block no query,
    # when PostgreSQL runs on this machine (zerodowntime.rehearsal.database_priority; 0: off).
    database_work_niceness: int = 0
    # Rows per model of a rehearsal from git refs (``app.Model=N``; ``rows`` for the others).
    model_rows: tuple[str, ...] = ()


@dataclass
class RehearsalResult:
    """Everything a rehearsal measured."""

    config: RehearsalConfig
    skip: bool
    started_at: str
    phases: list[PhaseRecord] = field(default_factory=list)
    records: list[RequestRecord] = field(default_factory=list)
    lock_samples: list[LockSample] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    background: list[BackgroundProgress] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    # The distinct errors in the app servers' logs (the real cause behind "Internal error."),
    # most frequent first.
    server_errors: list[str] = field(default_factory=list)
    # The faults injected (--faults), each with its window on the rehearsal's clock.
    faults: list[FaultRecord] = field(default_factory=list)
    # Models the generic rehearsal could not make instances of (left out of it), and why.
    left_out: dict[str, str] = field(default_factory=dict)
    # Each kind of statement of the upgrade's own work that ran at the lower database niceness.
    lowered_statements: list[str] = field(default_factory=list)
    lowered_in_cpu_group: bool = False
    seconds: float = 0.0

    @property
    def failed(self) -> list[RequestRecord]:
        """Return the failed requests."""
        return [r for r in self.records if not r.ok]

    @property
    def integrity_ok(self) -> bool:
        """Return True when no integrity check failed."""
        return not any(check.failed for check in self.checks)

    @property
    def passed(self) -> bool:
        """Return True for an allowed path without failures whose data checks passed."""
        return self.integrity_ok and (self.skip or not self.failed)


class Observer(Protocol):
    """Receives progress while a rehearsal runs (see ``summary.LiveProgress``)."""

    def started(self, traffic: TrafficView, probe: LockProbe) -> None: ...

    def phase(self, phase: PhaseRecord) -> None: ...

    def finished(self) -> None: ...


class QuietObserver:
    """Hears a rehearsal's progress and shows nothing."""

    def started(self, traffic: TrafficView, probe: LockProbe) -> None:
        pass

    def phase(self, phase: PhaseRecord) -> None:
        pass

    def finished(self) -> None:
        pass


def check_path(manifest: ReleaseManifest, path: Sequence[str]) -> bool:
    """Validate ``path`` (known releases, moving forward); return True when it skips one."""
    if not path:
        raise ReleaseError("the path needs at least one release")
    positions = [manifest.index(version) for version in path]
    if any(b <= a for a, b in zip(positions, positions[1:], strict=False)):
        raise ReleaseError(f"the path {','.join(path)} must move forward through the releases")
    return any(b - a > 1 for a, b in zip(positions, positions[1:], strict=False))


def skip_refusal(manifest: ReleaseManifest, path: Sequence[str]) -> str:
    """Return why ``zdt migrate`` refuses the first jump of ``path`` over a release."""
    for current, target in zip(path, path[1:], strict=False):
        try:
            check_migration(manifest.versions, current=current, target=target)
        except ReleaseRefused as exc:
            return f"the path {','.join(path)} skips a release, refused before any DDL: {exc}"
    return f"the path {','.join(path)} skips no release"


class _Run:
    """The state of one rehearsal while it runs; it hears the executor's steps (phases)."""

    def __init__(
        self, config: RehearsalConfig, observer: Observer, wrap_deployer: WrapDeployer | None
    ) -> None:
        self.config = config
        self.observer = observer
        self.wrap_deployer = wrap_deployer
        self.injector: FaultInjector | None = None
        self.failed_step: Step | None = None
        self.serving = config.path[0]  # the release whose app servers serve before a step
        self.manifest = conf.release_manifest()
        self.skip = check_path(self.manifest, config.path)
        if self.skip and not config.allow_skip:
            raise RehearsalError(skip_refusal(self.manifest, config.path))
        self.scenario: Scenario = conf.rehearsal_scenario()
        self.clock = new_clock()
        self.config.workdir.mkdir(parents=True, exist_ok=True)
        self.database_url = ""
        self.result = RehearsalResult(
            config, self.skip, datetime.now(UTC).isoformat(timespec="seconds")
        )

    def env_for(self, role: str, release: str) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("ZDT_PROCESS_ROLE", None)
        env.update(
            DATABASE_URL=self.database_url,
            REDIS_URL=self.config.redis_url,
            ZDT_RELEASE=release,
            PGAPPNAME=application_name(role, release),
            PYTHONUNBUFFERED="1",
        )
        return env

    def command(self, release: str, args: Sequence[str], log_name: str) -> str:
        """Run ``zdt ARGS`` at ``release``; return its stdout or raise with its output."""
        log = self.config.workdir / "logs" / f"{log_name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        try:
            result = run_aside(zdt_command(*args), self.env_for(MIGRATE, release))
        except CommandFailed as exc:
            log.write_text(exc.stdout + exc.stderr)
            raise RehearsalError(
                f"`zdt {' '.join(args)}` failed at {release}:\n{exc.tail()}"
            ) from None
        log.write_text(result.stdout + result.stderr)
        return result.stdout

    def migrate(self, release: str) -> str:
        """Run ``zdt migrate --release RELEASE``; return its output or raise with it."""
        args = ["migrate", "--release", release] + (["--allow-skip"] if self.skip else [])
        return self.command(release, args, f"migrate-{release}")

    def manage(self, release: str, args: Sequence[str]) -> str:
        """Run a Django management command at ``release`` (for the scenario's setup)."""
        code = "import sys, django; from django.core.management import call_command;"
        code += " django.setup(); call_command(*sys.argv[1:])"
        try:
            result = run([sys.executable, "-c", code, *args], env=self.env_for("setup", release))
        except CommandFailed as exc:
            raise RehearsalError(f"`{' '.join(args)}` failed at {release}:\n{exc.tail()}") from None
        return result.stdout

    def end_phase(self) -> None:
        close_phase(self.result.phases, self.clock())

    def begin(self, name: str, kind: str, release: str) -> PhaseRecord:
        # What this process holds so far (the scenario's state, the requests recorded) is kept
        # until the report: freezing it keeps the collector's full passes, which stop the load
        # generator's thread too, as short as at the start.
        gc.freeze()
        phase = open_phase(self.result.phases, self.clock(), name, kind, release)
        self.traffic.set_phase(name)
        self.observer.phase(phase)
        return phase

    def mix(self, release: str, old: str | None) -> list[WeightedOperation]:
        mix = [
            WeightedOperation(release, op, op.weight) for op in self.scenario.operations(release)
        ]
        if old is not None:
            mix += [
                WeightedOperation(old, op, op.weight * OLD_CLIENT_WEIGHT)
                for op in self.scenario.operations(old)
            ]
        return mix

    def live_releases(self) -> list[str]:
        return live_releases_at(self.database_url)

    def step_started(self, step: Step, number: int, total: int) -> None:
        """Begin the phase of ``step`` unless the previous step began it."""
        kind = PHASE_OF[step.action]
        last = self.result.phases[-1]
        if (last.kind, last.release, last.ended) != (kind, step.release, None):
            self.begin(f"{kind} {step.release}", kind, step.release)

    def step_finished(self, result: StepResult) -> None:
        """Add the step's duration (and the roll's switches) to its phase."""
        if self.skip and result.step.action is Action.MIGRATE:
            self.traffic.set_mix(self.mix(self.serving, None))
        phase = self.result.phases[-1]
        detail = SECONDS_DETAIL.get(result.step.action)
        if detail is not None:
            phase.detail[detail] = round(phase.detail.get(detail, 0.0) + result.seconds, 3)
        if result.step.action is Action.ROLL_APP_SERVERS:
            phase.detail["switches"] = list(self.deployer.switches)

    def step_failed(self, step: Step, number: int, error: BaseException) -> None:
        """Remember which step failed (a skip's refused migrate is not an error)."""
        self.failed_step = step

    def upgrade(self, current: str, release: str) -> bool:
        """Run the plan of one step of the path; return False when a skip's migrate was refused."""
        plan = plan_upgrade(
            self.manifest.versions,
            current=current,
            target=release,
            live_releases=self.live_releases(),
            allow_skip=self.skip,
        )
        deployer = self.wrap_deployer(self.deployer) if self.wrap_deployer else self.deployer
        if self.injector is not None:
            deployer = self.injector.wrapping(deployer)
        self.serving = current
        if self.skip:
            # Rows the old release writes during the jump cannot be backfilled, and the
            # migrations' own guard would refuse at a random moment: while a forced skip
            # migrates, the old release's clients only read (the full mix resumes after).
            self.traffic.set_mix([m for m in self.mix(current, None) if not m.operation.writes])
        try:
            execute(plan, deployer, [self])
        except RehearsalError as exc:
            if not (self.skip and self.failed_step and self.failed_step.action is Action.MIGRATE):
                raise
            # A guard of the migrations refused the jump: the old release keeps serving.
            reason = str(exc).strip().splitlines()[-1]
            self.result.phases[-1].detail["refused"] = reason
            self.result.refusals.append(f"migrate {release}: {reason}")
            self.deployer.start_workers(current)
            self.begin(f"refused {release}", "after", current)
            time.sleep(self.config.phase_seconds)
            return False
        self.traffic.set_mix(self.mix(release, current))
        self.begin(f"after {release}", "after", release)
        time.sleep(self.config.phase_seconds)
        return True

    def run(self) -> RehearsalResult:
        config, path = self.config, list(self.config.path)
        first = path[0]
        self.database_url = recreate_database(config.server_url, config.database_name)
        self.migrate(first)
        context = SetupContext(self.database_url, first, self.manage)
        state: Any = self.scenario.setup(context, rows=config.rows)
        settle(self.database_url)
        rotation = Rotation()
        self.traffic = OpenLoopTraffic(
            rate=config.rate, rotation=rotation, state=state, clock=self.clock, seed=config.seed
        )
        probe = LockProbe(self.database_url, clock=self.clock)
        priority = DeploymentWorkPriority(self.database_url, niceness=config.database_work_niceness)
        began = time.monotonic()
        try:
            with Cluster(self.env_for, config.workdir, rotation) as cluster:
                self.deployer = LocalDeployer(
                    cluster,
                    self.database_url,
                    self.migrate,
                    background_timeout=config.background_timeout,
                )
                if config.faults:
                    self.injector = FaultInjector(
                        self.deployer,
                        FaultPlan(len(path) - 1, seed=config.seed),
                        clock=self.clock,
                        redis_url=config.redis_url,
                    )
                cluster.start_servers(first, config.servers)
                self.deployer.start_workers(first)
                probe.start()
                if config.database_work_niceness:
                    priority.start()
                self.traffic.set_mix(self.mix(first, None))
                warm_up = config.warm_up_seconds > 0
                if warm_up:
                    self.begin(f"warm-up {first}", WARM_UP, first)
                else:
                    self.begin(f"baseline {first}", "baseline", first)
                self.traffic.start()
                self.observer.started(self.traffic, probe)
                if warm_up:
                    time.sleep(config.warm_up_seconds)
                    self.begin(f"baseline {first}", "baseline", first)
                time.sleep(config.phase_seconds)
                for current, release in zip(path, path[1:], strict=False):
                    self.traffic.set_mix(self.mix(current, None))
                    if not self.upgrade(current, release):
                        break
                self.traffic.stop()
                self.end_phase()
        finally:
            self.traffic.stop()
            probe.stop()
            priority.stop()
            self.end_phase()
            self.observer.finished()
        self.result.lowered_statements = priority.statements()
        self.result.lowered_in_cpu_group = priority.cpu_group is not None
        self.result.seconds = round(time.monotonic() - began, 3)
        self.result.records = sorted(self.traffic.records, key=lambda r: r.scheduled)
        self.result.lock_samples = list(probe.samples)
        self.result.background = self.deployer.background_progress() or []
        self.result.checks = run_checks(self.database_url, self.scenario.integrity_checks(), state)
        if self.injector is not None:
            self.result.faults = list(self.injector.records)
            workers = sorted(config.workdir.glob("logs/*-worker-*.log"))
            self.result.checks.append(backfills_finished_once(self.result.background, workers))
        self.result.server_errors = server_errors(sorted(config.workdir.glob("logs/*-web-*.log")))
        return self.result


def rehearse(
    config: RehearsalConfig,
    observer: Observer | None = None,
    *,
    wrap_deployer: WrapDeployer | None = None,
) -> RehearsalResult:
    """Run the rehearsal of ``config.path`` and return what it measured.

    ``wrap_deployer`` may wrap the local deployer of each upgrade step (for example in a
    :class:`~zerodowntime.deploy.executor.DeployerWrapper` that records or injects faults).
    """
    try:
        return _Run(config, observer or QuietObserver(), wrap_deployer).run()
    finally:
        remove_shared_groups()
