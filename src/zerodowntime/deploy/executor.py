"""Run an upgrade plan step by step through a deployer: the one place the procedure is executed.

The plan (:mod:`zerodowntime.deploy.plan`) says what happens in which order; a
:class:`Deployer` says how each action is done on a given infrastructure (the rehearsal's local
processes, a person following printed steps, commands from the project's configuration, or a
project's own class). :func:`execute` owns the order, the timing and the log; every
:class:`StepObserver` hears when a step starts, ends or fails (to record phases, print progress,
or inject faults). ``docs/deploying.md`` describes the interface.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from zerodowntime.deploy.plan import Action, Step, UpgradePlan

logger = logging.getLogger("zerodowntime.deploy")


class DeployError(RuntimeError):
    """A step of the upgrade could not be done; the message says which and why."""


@dataclass(frozen=True)
class StepResult:
    """A step that ended: how long it took and what the deployer said about it."""

    step: Step
    number: int
    seconds: float
    note: str | None = None


class StepObserver(Protocol):
    """Hears about each step of an upgrade while :func:`execute` runs it."""

    def step_started(self, step: Step, number: int, total: int) -> None:
        """Be told that step ``number`` of ``total`` (counted from 1) is about to run."""

    def step_finished(self, result: StepResult) -> None:
        """Be told that a step ended without error."""

    def step_failed(self, step: Step, number: int, error: BaseException) -> None:
        """Be told that a step raised ``error`` (the upgrade stops; the error propagates)."""


class Deployer(ABC):
    """How each action of the upgrade procedure is done on one kind of infrastructure.

    Each action gets the release being deployed and returns an optional one-line note for the
    progress output (None: nothing to add). The ``step_*`` hooks are those of
    :class:`StepObserver`, called around every step; by default they do nothing.
    """

    name = "deployer"

    @abstractmethod
    def stop_workers(self, release: str) -> str | None:
        """Stop the background workers of the release before ``release``."""

    @abstractmethod
    def migrate(self, release: str) -> str | None:
        """Migrate the database to ``release``."""

    @abstractmethod
    def start_workers(self, release: str) -> str | None:
        """Start the background workers of ``release``."""

    @abstractmethod
    def wait_background(self, release: str) -> str | None:
        """Wait for (or report) the background migrations ``release`` registered."""

    @abstractmethod
    def roll_app_servers(self, release: str) -> str | None:
        """Replace the app servers by ones of ``release``, one at a time."""

    def step_started(self, step: Step, number: int, total: int) -> None:
        """Do nothing before a step (override to record it)."""
        return None

    def step_finished(self, result: StepResult) -> None:
        """Do nothing after a step (override to record it)."""
        return None

    def step_failed(self, step: Step, number: int, error: BaseException) -> None:
        """Do nothing when a step fails (override to record it)."""
        return None

    def action(self, action: Action) -> Callable[[str], str | None]:
        """Return the method that does ``action`` (the method named ``action.key``)."""
        method: Callable[[str], str | None] = getattr(self, action.key)
        return method


def execute(
    plan: UpgradePlan, deployer: Deployer, observers: Sequence[StepObserver] = ()
) -> list[StepResult]:
    """Run the steps of ``plan`` in order through ``deployer``; return what each step did.

    The deployer's hooks, then each observer, hear a step start before it runs and end (or
    fail) after. A step that raises stops the upgrade: no later step runs, and the error
    propagates unchanged.
    """
    listeners: list[StepObserver] = [deployer, *observers]
    total, results = len(plan.steps), []
    for number, step in enumerate(plan.steps, start=1):
        logger.info("step %d/%d: %s with the %s deployer", number, total, step, deployer.name)
        for listener in listeners:
            listener.step_started(step, number, total)
        began = time.monotonic()
        try:
            note = deployer.action(step.action)(step.release)
        except BaseException as exc:
            logger.warning("step %d/%d failed: %s: %s", number, total, step, exc)
            for listener in listeners:
                listener.step_failed(step, number, exc)
            raise
        result = StepResult(step, number, round(time.monotonic() - began, 3), note)
        logger.info("step %d/%d done in %.1f s: %s", number, total, result.seconds, step)
        for listener in listeners:
            listener.step_finished(result)
        results.append(result)
    return results


class ConsoleProgress:
    """Print each step as it starts and ends (the progress of ``zdt upgrade``)."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo

    def step_started(self, step: Step, number: int, total: int) -> None:
        """Print the step's number, action and release."""
        self.echo(f"{number}. {step}")

    def step_finished(self, result: StepResult) -> None:
        """Print the deployer's note, or how long the step took."""
        self.echo(f"   {result.note or f'done in {result.seconds:.1f} s'}")

    def step_failed(self, step: Step, number: int, error: BaseException) -> None:
        """Say that the upgrade stops here (the error itself is reported by the caller)."""
        self.echo("   failed: the upgrade stops here")


class DeployerWrapper(Deployer):
    """Pass every action and hook on to ``inner``; subclass it to add behaviour around them."""

    def __init__(self, inner: Deployer) -> None:
        self.inner = inner
        self.name = inner.name

    def stop_workers(self, release: str) -> str | None:
        """Let the wrapped deployer stop the workers."""
        return self.inner.stop_workers(release)

    def migrate(self, release: str) -> str | None:
        """Let the wrapped deployer migrate."""
        return self.inner.migrate(release)

    def start_workers(self, release: str) -> str | None:
        """Let the wrapped deployer start the workers."""
        return self.inner.start_workers(release)

    def wait_background(self, release: str) -> str | None:
        """Let the wrapped deployer wait for the background migrations."""
        return self.inner.wait_background(release)

    def roll_app_servers(self, release: str) -> str | None:
        """Let the wrapped deployer roll the app servers."""
        return self.inner.roll_app_servers(release)

    def step_started(self, step: Step, number: int, total: int) -> None:
        """Pass the hook on."""
        self.inner.step_started(step, number, total)

    def step_finished(self, result: StepResult) -> None:
        """Pass the hook on."""
        self.inner.step_finished(result)

    def step_failed(self, step: Step, number: int, error: BaseException) -> None:
        """Pass the hook on."""
        self.inner.step_failed(step, number, error)
