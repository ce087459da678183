"""The local deployment's processes start at a low priority and serve at the normal one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.zerodowntime.deploy.conftest import process_env  # noqa: F401  (fixture)
from tests.zerodowntime.rehearsal.conftest import cpu_seconds
from zerodowntime import conf
from zerodowntime.rehearsal.cluster import (
    STARTING_NICENESS,
    Cluster,
    ManagedProcess,
    can_restore_priority,
    run_aside,
    set_group_niceness,
)
from zerodowntime.rehearsal.cpu_groups import CpuShare, processes_of_group, shared_group
from zerodowntime.rehearsal.deployer import LocalDeployer
from zerodowntime.rehearsal.traffic import Rotation


def group_niceness(group: int) -> list[int]:
    """Return the niceness of every process of process group ``group``."""
    return [os.getpriority(os.PRIO_PROCESS, pid) for pid in processes_of_group(group)]


@pytest.fixture
def cluster(tmp_path: Path, process_env: dict[str, str]) -> Cluster:  # noqa: F811
    """Return a cluster whose processes use this session's test database."""
    env = {**process_env, "ZDT_STATE_DIR": str(tmp_path)}
    return Cluster(
        lambda role, release: {**env, "ZDT_RELEASE": release},
        tmp_path,
        Rotation(),
        web_workers=2,
        web_threads=1,
    )


@pytest.mark.timeout(120)
@pytest.mark.skipif(not can_restore_priority(), reason="may not give a priority back")
def test_an_app_server_starts_at_low_priority_and_serves_at_the_normal_one(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = conf.release_manifest().versions[-1]
    while_starting: list[list[int]] = []
    idle_while_starting: list[int] = []
    wait_healthy = cluster._wait_healthy
    idle = shared_group(CpuShare.IDLE)

    def healthy_then_look(server: ManagedProcess) -> None:
        wait_healthy(server)
        while_starting.append(group_niceness(server.popen.pid))
        if idle is not None:
            idle_while_starting.extend(in_idle_group(server.popen.pid))

    def in_idle_group(group: int) -> list[int]:
        assert idle is not None
        pids = processes_of_group(group)
        return [pid for pid in pids if idle.hierarchy.directory_of(pid) == idle.directory]

    monkeypatch.setattr(cluster, "_wait_healthy", healthy_then_look)
    with cluster:
        server = cluster.start_server(release)
        serving = group_niceness(server.popen.pid)
        idle_serving = in_idle_group(server.popen.pid) if idle is not None else []
    # The wrapper, the gunicorn master and both workers: 10 while starting, 0 once ready.
    assert while_starting == [[STARTING_NICENESS] * 4]
    assert serving == [0] * 4
    if idle is not None:  # and in the idle CPU group while starting, out of it once ready
        assert len(idle_while_starting) == 4
        assert idle_serving == []


@pytest.mark.timeout(120)
@pytest.mark.skipif(not can_restore_priority(), reason="may not give a priority back")
def test_a_worker_gets_the_normal_priority_once_celery_is_ready_not_once_registered(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = conf.release_manifest().versions[-1]
    database_url = cluster.env_for("worker", release)["DATABASE_URL"]
    deployer = LocalDeployer(cluster, database_url, lambda release: None, background_timeout=10)
    seen: list[tuple[bool, list[int]]] = []
    ready = cluster.ready

    def look_then_ready(process: ManagedProcess) -> None:
        assert process.ready_file is not None
        seen.append((process.ready_file.exists(), group_niceness(process.popen.pid)))
        ready(process)

    monkeypatch.setattr(cluster, "ready", look_then_ready)
    with cluster:
        worker = cluster.start_worker(release)
        deployer.wait_registered(worker)
        serving = group_niceness(worker.popen.pid)
    # Celery had written the ready file (its heartbeat comes a second or more earlier, when
    # Django is loaded) while the whole group still ran at the starting niceness.
    [(file_written, while_starting)] = seen
    assert file_written
    assert set(while_starting) == {STARTING_NICENESS}
    assert set(serving) == {0}


@pytest.mark.skipif(not can_restore_priority(), reason="may not give a priority back")
def test_a_starting_session_yields_the_cpu_to_the_other_sessions() -> None:
    # Four busy processes, each the leader of its own session (as the cluster starts them) on
    # a machine of two cores: the two set to the starting niceness get a small share. With the
    # kernel's autogroups, a process's niceness alone changes nothing between sessions.
    spin = [sys.executable, "-c", "while True: pass"]
    normal = [subprocess.Popen(spin, start_new_session=True) for _ in range(2)]
    starting = [subprocess.Popen(spin, start_new_session=True) for _ in range(2)]
    try:
        for process in starting:
            set_group_niceness(process.pid, STARTING_NICENESS)
        before = {p.pid: cpu_seconds(p.pid) for p in normal + starting}
        time.sleep(3)
        used = {p.pid: cpu_seconds(p.pid) - before[p.pid] for p in normal + starting}
    finally:
        for process in normal + starting:
            process.kill()
            process.wait()
    normal_share = sum(used[p.pid] for p in normal)
    starting_share = sum(used[p.pid] for p in starting)
    assert starting_share < normal_share / 3, used


@pytest.mark.skipif(not can_restore_priority(), reason="may not give a priority back")
def test_a_deployment_command_runs_aside_in_its_own_session_at_low_priority() -> None:
    # The niceness is set just after the start: the child looks a moment later.
    code = "import os, time; time.sleep(0.5)\n"
    code += "print(os.getsid(0) == os.getpid(), os.getpriority(os.PRIO_PROCESS, 0))"
    result = run_aside([sys.executable, "-c", code], {})
    assert result.stdout.split() == ["True", str(STARTING_NICENESS)]


@pytest.mark.skipif(not can_restore_priority(), reason="the cluster starts no process lower")
def test_a_process_stops_at_the_starting_niceness(tmp_path: Path) -> None:
    told = tmp_path / "niceness-at-sigterm"
    code = (
        "import os, signal, sys, time\n"
        "def stop(*_):\n"
        f"    open({str(told)!r}, 'w').write(str(os.getpriority(os.PRIO_PROCESS, 0)))\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    popen = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True
    )
    assert popen.stdout is not None and popen.stdout.readline().strip() == b"ready"
    process = ManagedProcess("01-worker-x", "worker", "x", popen, tmp_path / "log")
    cluster = Cluster(lambda role, release: {}, tmp_path, Rotation())
    assert os.getpriority(os.PRIO_PROCESS, popen.pid) == 0  # it serves at the normal priority
    cluster.retire(process, timeout=10)
    # Its shutdown ran at the starting niceness, as its start-up does.
    assert told.read_text() == str(STARTING_NICENESS)
