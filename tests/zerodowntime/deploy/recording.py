"""A deployer that records the actions it is asked to do, then lets another deployer do them."""

from __future__ import annotations

import os
from pathlib import Path

import click

from zerodowntime.deploy.executor import Deployer, DeployerWrapper
from zerodowntime.deploy.manual import ManualDeployer

STEPS_FILE = "ZDT_TEST_STEPS_FILE"


class RecordingDeployer(DeployerWrapper):
    """Record ``(action key, release)`` of each action called, in memory and in ``log``."""

    def __init__(self, inner: Deployer, log: Path | None = None) -> None:
        super().__init__(inner)
        self.log = log
        self.steps: list[tuple[str, str]] = []

    def _record(self, key: str, release: str) -> None:
        self.steps.append((key, release))
        if self.log is not None:
            with self.log.open("a") as handle:
                handle.write(f"{key} {release}\n")

    def stop_workers(self, release: str) -> str | None:
        self._record("stop_workers", release)
        return super().stop_workers(release)

    def migrate(self, release: str) -> str | None:
        self._record("migrate", release)
        return super().migrate(release)

    def start_workers(self, release: str) -> str | None:
        self._record("start_workers", release)
        return super().start_workers(release)

    def wait_background(self, release: str) -> str | None:
        self._record("wait_background", release)
        return super().wait_background(release)

    def roll_app_servers(self, release: str) -> str | None:
        self._record("roll_app_servers", release)
        return super().roll_app_servers(release)


def recording_manual() -> Deployer:
    """Return the manual deployer of `zdt upgrade`, recorded in the file named by STEPS_FILE."""
    return RecordingDeployer(ManualDeployer(click.echo), Path(os.environ[STEPS_FILE]))


def read_steps(log: Path) -> list[tuple[str, str]]:
    """Return the steps a recording deployer wrote to ``log``."""
    return [
        (key, release) for key, release in (line.split() for line in log.read_text().splitlines())
    ]
