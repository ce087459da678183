"""Plan an upgrade: one release at a time, never while an older process still runs (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from zerodowntime.deploy.releases import ReleaseError


class PlanError(ReleaseError):
    """The requested upgrade is not allowed; the message says what to do instead."""


class Action(StrEnum):
    """The steps of the upgrade procedure, in the order they happen (docs/deploying.md)."""

    STOP_WORKERS = "stop the workers"
    MIGRATE = "migrate the database"
    START_WORKERS = "start the workers"
    WAIT_BACKGROUND = "wait for the background migrations"
    ROLL_APP_SERVERS = "roll the app servers one at a time"

    @property
    def key(self) -> str:
        """Return the action's name in code and configuration (``stop_workers``)."""
        return self.name.lower()


@dataclass(frozen=True)
class Step:
    """One action of the procedure for one release."""

    action: Action
    release: str

    def __str__(self) -> str:
        return f"{self.action.value} ({self.release})"


@dataclass(frozen=True)
class UpgradePlan:
    """The ordered steps that bring a database from ``current`` to ``target``."""

    current: str | None
    target: str
    steps: tuple[Step, ...]
    skipped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def is_noop(self) -> bool:
        """Return True when the database is already at the target."""
        return not self.steps


def _steps_for(release: str) -> list[Step]:
    return [Step(action, release) for action in Action]


def _arrow(versions: Sequence[str]) -> str:
    return " -> ".join(versions)


def plan_upgrade(
    versions: Sequence[str],
    *,
    current: str | None,
    target: str,
    live_releases: Iterable[str] = (),
    allow_skip: bool = False,
) -> UpgradePlan:
    """Return the steps from ``current`` to ``target`` or raise :class:`PlanError`.

    ``versions`` are the manifest's releases, oldest first; ``live_releases`` the releases of
    the processes whose heartbeat is recent. A database that no release migrated yet is
    installed at ``target`` directly. Otherwise only the next release is allowed, and only when
    no live process runs a release older than ``current``; ``allow_skip`` lifts both rules (to
    demonstrate what breaks) and reports what it lifted in ``warnings``.
    """
    versions = list(versions)
    if target not in versions:
        raise PlanError(f"unknown release {target!r}; known releases: {', '.join(versions)}")
    if current is None:
        return UpgradePlan(None, target, (Step(Action.MIGRATE, target),))
    if current not in versions:
        raise PlanError(f"the database is at unknown release {current!r}")
    here, there = versions.index(current), versions.index(target)
    if there < here:
        raise PlanError(
            f"cannot go back from {current} to {target}: releases only move forward"
            " (deploy a new release that fixes the problem instead)"
        )
    if there == here:
        return UpgradePlan(current, target, ())
    warnings: list[str] = []
    older = sorted({r for r in live_releases if r in versions and versions.index(r) < here})
    if older:
        message = (
            f"live processes still run release {', '.join(older)}, older than the database's"
            f" {current}: roll every app server and worker to {current} before upgrading"
        )
        if not allow_skip:
            raise PlanError(message)
        warnings.append(message)
    skipped = tuple(versions[here + 1 : there])
    if skipped:
        path = versions[here : there + 1]
        message = (
            f"{target} is {len(path) - 1} releases ahead of the database's {current}:"
            f" upgrade one release at a time, {_arrow(path)}"
            f" (next: upgrade to {versions[here + 1]})"
        )
        if not allow_skip:
            raise PlanError(message)
        warnings.append(f"skipping {', '.join(skipped)}: {message}")
    return UpgradePlan(current, target, tuple(_steps_for(target)), skipped, tuple(warnings))
