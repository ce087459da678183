"""The CPU cgroups: found from the mount table, joined and left, and sharing the CPU as set."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.zerodowntime.rehearsal.conftest import cpu_seconds
from zerodowntime.rehearsal.cpu_groups import (
    SHARED_PREFIX,
    CpuGroup,
    CpuHierarchy,
    CpuShare,
    find_cpu_hierarchy,
    processes_of_group,
    remove_abandoned_groups,
    remove_shared_groups,
    shared_group,
)

V1 = (
    "30 25 0:26 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "31 25 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "38 25 0:34 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
)
V2_ONLY = "24 1 0:22 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n"
BUSY = "import time\nwhile True: pass\n"


def test_a_cgroup_v1_cpu_hierarchy_is_preferred_to_the_unified_one() -> None:
    assert find_cpu_hierarchy(V1) == CpuHierarchy(Path("/sys/fs/cgroup/cpu"), 1)


def test_the_unified_hierarchy_counts_only_with_the_cpu_controller_enabled(tmp_path: Path) -> None:
    (tmp_path / "cgroup.subtree_control").write_text("memory pids\n")
    mountinfo = V2_ONLY.replace("/sys/fs/cgroup", str(tmp_path))
    assert find_cpu_hierarchy(mountinfo) is None
    (tmp_path / "cgroup.subtree_control").write_text("cpu memory pids\n")
    assert find_cpu_hierarchy(mountinfo) == CpuHierarchy(tmp_path, 2)


def made_group(share: CpuShare) -> Iterator[CpuGroup]:
    made, why = CpuGroup.create(f"zdt-test-{share.value}-{os.getpid()}", share)
    if made is None:
        pytest.skip(f"no CPU group here: {why}")
    yield made
    made.remove()
    assert not made.directory.exists()


@pytest.fixture
def group() -> Iterator[CpuGroup]:
    yield from made_group(CpuShare.IDLE)


@pytest.fixture
def low_group() -> Iterator[CpuGroup]:
    yield from made_group(CpuShare.LOW)


def busy_loop_on_cpu_0() -> subprocess.Popen[bytes]:
    """A busy loop in a session of its own (its own autogroup), on the first CPU only."""
    process = subprocess.Popen([sys.executable, "-c", BUSY], start_new_session=True)
    os.sched_setaffinity(process.pid, {0})
    return process


def test_a_process_moves_in_and_back_to_where_it_was(group: CpuGroup) -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        origin = group.hierarchy.directory_of(process.pid)
        assert group.admit(process.pid)
        assert group.hierarchy.directory_of(process.pid) == group.directory
        assert group.members == {process.pid}
        group.release(process.pid)
        assert group.hierarchy.directory_of(process.pid) == origin
        assert group.members == set()
    finally:
        process.kill()
        process.wait()


def test_a_process_group_moves_in_and_its_later_children_come_back_with_it(
    group: CpuGroup,
) -> None:
    # A leader in a session of its own that forks a child once told to (after it was admitted).
    code = (
        "import subprocess, sys, time\n"
        "sys.stdin.readline()\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
        "time.sleep(30)\n"
    )
    leader = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, start_new_session=True
    )
    try:
        origin = group.hierarchy.directory_of(leader.pid)
        group.admit_group(leader.pid)
        assert leader.stdin is not None
        leader.stdin.write(b"fork\n")
        leader.stdin.flush()
        deadline = time.monotonic() + 5
        while len(processes_of_group(leader.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = processes_of_group(leader.pid)
        assert len(pids) == 2
        assert {group.hierarchy.directory_of(pid) for pid in pids} == {group.directory}
        group.release_group(leader.pid)
        assert {group.hierarchy.directory_of(pid) for pid in pids} == {origin}
    finally:
        os.killpg(leader.pid, 9)
        leader.wait()


def test_a_gone_process_is_not_admitted(group: CpuGroup) -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    assert not group.admit(process.pid)


def share_of_a_busy_loop_in(group: CpuGroup) -> float:
    """Return the share of one CPU a busy loop in ``group`` gets against one outside it.

    Each loop is a session of its own: without the group, each would get half of the CPU,
    whatever its niceness.
    """
    outside, inside = busy_loop_on_cpu_0(), busy_loop_on_cpu_0()
    try:
        assert group.admit(inside.pid)
        start = {p.pid: cpu_seconds(p.pid) for p in (outside, inside)}
        time.sleep(1.5)
        used = {p.pid: cpu_seconds(p.pid) - start[p.pid] for p in (outside, inside)}
        return used[inside.pid] / (used[inside.pid] + used[outside.pid])
    finally:
        for process in (outside, inside):
            process.kill()
            process.wait()


def test_a_busy_process_in_the_idle_group_yields_the_cpu_to_one_outside(
    group: CpuGroup,
) -> None:
    assert share_of_a_busy_loop_in(group) < 0.09


def test_a_busy_process_in_the_low_group_keeps_the_share_of_niceness_10(
    low_group: CpuGroup,
) -> None:
    """110 against 1024: about a tenth, so that a backend there never waits long for a CPU
    while it holds a lock that commits wait for (an idle one would: its share is nothing)."""
    assert 0.05 < share_of_a_busy_loop_in(low_group) < 0.2


def gone_pid() -> int:
    """Return the pid of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def writable_mount() -> Iterator[Path]:
    """The CPU hierarchy's top, where this test may make and remove groups."""
    hierarchy = find_cpu_hierarchy()
    probe = None if hierarchy is None else hierarchy.mount / f"zdt-test-probe-{os.getpid()}"
    try:
        assert probe is not None
        probe.mkdir()
        probe.rmdir()
    except (AssertionError, OSError):
        pytest.skip("no CPU hierarchy this test may change")
    yield probe.parent


def test_the_groups_of_a_gone_rehearsal_are_removed_and_the_others_kept(
    writable_mount: Path,
) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    top = writable_mount / "cgroup.procs"
    abandoned = writable_mount / f"{SHARED_PREFIX}idle-{gone_pid()}"
    occupied = writable_mount / f"{SHARED_PREFIX}low-{gone_pid()}"
    running = writable_mount / f"{SHARED_PREFIX}idle-{sleeper.pid}"
    try:
        for directory in (abandoned, occupied, running):
            directory.mkdir()
        (occupied / "cgroup.procs").write_text(str(sleeper.pid))
        remove_abandoned_groups(writable_mount)
        assert not abandoned.exists()
        assert occupied.exists()  # a process is still in it
        assert running.exists()  # its rehearsal is alive
    finally:
        top.write_text(str(sleeper.pid))
        sleeper.kill()
        sleeper.wait()
        for directory in (abandoned, occupied, running):
            if directory.exists():
                directory.rmdir()


def test_making_a_shared_group_first_removes_the_abandoned_ones(writable_mount: Path) -> None:
    abandoned = writable_mount / f"{SHARED_PREFIX}low-{gone_pid()}"
    abandoned.mkdir()
    remove_shared_groups()
    try:
        made = shared_group(CpuShare.LOW)
        assert made is not None
        assert made.directory.name == f"{SHARED_PREFIX}low-{os.getpid()}"
        assert not abandoned.exists()
    finally:
        remove_shared_groups()
        if abandoned.exists():
            abandoned.rmdir()
