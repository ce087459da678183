"""The executor: the steps in order through a deployer, hooks around each, a stop on error."""

from __future__ import annotations

import pytest

from zerodowntime.deploy.executor import Deployer, DeployError, StepResult, execute
from zerodowntime.deploy.plan import Action, Step, plan_upgrade

VERSIONS = ["0.1.0", "0.1.1", "0.2.0"]


class Journal(Deployer):
    """Write every action and hook to one journal; fail at ``fail_at``."""

    name = "journal"

    def __init__(self, journal: list[str], fail_at: Action | None = None) -> None:
        self.journal = journal
        self.fail_at = fail_at

    def _do(self, action: Action, release: str) -> str | None:
        self.journal.append(f"do {action.key} {release}")
        if action is self.fail_at:
            raise DeployError(f"{action.key} broke")
        return f"note of {action.key}"

    def stop_workers(self, release: str) -> str | None:
        return self._do(Action.STOP_WORKERS, release)

    def migrate(self, release: str) -> str | None:
        return self._do(Action.MIGRATE, release)

    def start_workers(self, release: str) -> str | None:
        return self._do(Action.START_WORKERS, release)

    def wait_background(self, release: str) -> str | None:
        return self._do(Action.WAIT_BACKGROUND, release)

    def roll_app_servers(self, release: str) -> str | None:
        return self._do(Action.ROLL_APP_SERVERS, release)

    def step_started(self, step: Step, number: int, total: int) -> None:
        self.journal.append(f"deployer started {number}/{total} {step.action.key}")

    def step_finished(self, result: StepResult) -> None:
        self.journal.append(f"deployer finished {result.number} {result.note}")

    def step_failed(self, step: Step, number: int, error: BaseException) -> None:
        self.journal.append(f"deployer failed {number} {error}")


class Listener:
    """A step observer that writes to the same journal."""

    def __init__(self, journal: list[str]) -> None:
        self.journal = journal

    def step_started(self, step: Step, number: int, total: int) -> None:
        self.journal.append(f"observer started {number}")

    def step_finished(self, result: StepResult) -> None:
        self.journal.append(f"observer finished {result.number}")

    def step_failed(self, step: Step, number: int, error: BaseException) -> None:
        self.journal.append(f"observer failed {number}")


def test_every_step_of_the_plan_runs_in_order_between_its_hooks() -> None:
    plan = plan_upgrade(VERSIONS, current="0.1.0", target="0.1.1")
    journal: list[str] = []
    results = execute(plan, Journal(journal), [Listener(journal)])
    actions = [a.key for a in Action]
    assert [line for line in journal if line.startswith("do ")] == [
        f"do {key} 0.1.1" for key in actions
    ]
    assert journal[:5] == [
        "deployer started 1/5 stop_workers",
        "observer started 1",
        "do stop_workers 0.1.1",
        "deployer finished 1 note of stop_workers",
        "observer finished 1",
    ]
    assert [(r.number, r.step.action.key, r.note) for r in results] == [
        (n, key, f"note of {key}") for n, key in enumerate(actions, start=1)
    ]
    assert all(r.seconds >= 0 for r in results)


def test_a_failing_step_stops_the_upgrade_and_its_error_propagates() -> None:
    plan = plan_upgrade(VERSIONS, current="0.1.0", target="0.1.1")
    journal: list[str] = []
    with pytest.raises(DeployError, match="migrate broke"):
        execute(plan, Journal(journal, fail_at=Action.MIGRATE), [Listener(journal)])
    assert journal[-4:] == [
        "observer started 2",
        "do migrate 0.1.1",
        "deployer failed 2 migrate broke",
        "observer failed 2",
    ]
    assert not any(line.startswith("do start_workers") for line in journal)


def test_a_fresh_database_only_migrates() -> None:
    journal: list[str] = []
    execute(plan_upgrade(VERSIONS, current=None, target="0.2.0"), Journal(journal))
    assert [line for line in journal if line.startswith("do ")] == ["do migrate 0.2.0"]
