"""`zdt upgrade` and `zdt rehearse` run the same plan through the same executor (issue 12)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import ZdtRun
from tests.zerodowntime.deploy.recording import STEPS_FILE, RecordingDeployer, read_steps
from zerodowntime.deploy.executor import Deployer
from zerodowntime.deploy.plan import Action
from zerodowntime.rehearsal.deployer import LocalDeployer
from zerodowntime.rehearsal.orchestrator import RehearsalConfig, rehearse
from zerodowntime.scratch import drop_database

DATABASE = "zdt_same_steps_test"
RECORDING = "tests.zerodowntime.deploy.recording.recording_manual"


@pytest.mark.timeout(600)  # two app servers started three times: slow on a busy machine
def test_a_recording_deployer_sees_the_same_steps_from_upgrade_and_rehearse(
    zdt: ZdtRun, scratch_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "upgrade-steps"
    scratch_env[STEPS_FILE] = str(log)
    zdt("migrate", "--release", "0.1.0", check=True)
    zdt("upgrade", "--to", "0.1.1", "--deployer", RECORDING, check=True)
    from_upgrade = read_steps(log)

    recorders: list[RecordingDeployer] = []

    def record(local: LocalDeployer) -> Deployer:
        recorders.append(RecordingDeployer(local))
        return recorders[-1]

    config = RehearsalConfig(
        path=("0.1.0", "0.1.1"),
        server_url=os.environ["DATABASE_URL"],
        # A Redis database of its own: a worker another rehearsal test left behind (stopped by a
        # timeout) would otherwise take this run's backfill tasks.
        redis_url=urlsplit(os.environ["REDIS_URL"])._replace(path="/3").geturl(),
        workdir=tmp_path / "rehearsal",
        rows=1_000,
        rate=10,
        phase_seconds=1,
        database_name=DATABASE,
    )
    try:
        result = rehearse(config, wrap_deployer=record)
    finally:
        drop_database(config.server_url, DATABASE)
    from_rehearsal = [step for recorder in recorders for step in recorder.steps]

    assert from_upgrade == [(action.key, "0.1.1") for action in Action]
    assert from_rehearsal == from_upgrade
    assert [p.name for p in result.phases] == [
        "baseline 0.1.0",
        "migrate 0.1.1",
        "background 0.1.1",
        "roll 0.1.1",
        "after 0.1.1",
    ]
    migrate, background, roll = result.phases[1:4]
    assert set(migrate.detail) == {"stop_workers_seconds", "migration_seconds"}
    assert background.detail["background_seconds"] > 0
    assert len(roll.detail["switches"]) == config.servers
    assert result.failed == [], result.failed[:5]
