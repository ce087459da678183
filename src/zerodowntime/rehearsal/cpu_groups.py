"""CPU cgroups for the upgrade's own work: idle, or at the weight of niceness 10.

A process's niceness ranks it only among the processes of its own session: with the kernel's
autogroup scheduling each session competes with the others as one group. PostgreSQL's backends
all live in the postmaster's session, so a backend at niceness 10 still takes a core from an app
server as readily as the whole database would. A cgroup of its own puts the work beside the
sessions, with a share of its own:

- :attr:`CpuShare.IDLE` (``cpu.idle`` = 1): only CPU time nobody else wants. For processes that
  start or stop, which hold nothing another process waits for.
- :attr:`CpuShare.LOW`: the weight of niceness 10 (110 against a session's 1024). For the
  database's own work: a backend there holds PostgreSQL's locks (a WAL insertion lock while it
  copies a record in, a buffer's content lock), and an idle one, descheduled while the cores
  are busy, would hold every commit behind it. Measured here with both cores busy: a
  ``CREATE INDEX CONCURRENTLY`` in an idle group held a commit 1,015 ms; at this weight, 52 ms
  (``bench/bench_cic_commit_stall.py``, docs/deploying.md).

Only where this process may write the CPU controller's hierarchy (root, usually); otherwise
:meth:`CpuGroup.create` returns ``None`` and says why.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from zerodowntime.subprocesses import process_exists

logger = logging.getLogger("zerodowntime.rehearsal")

MOUNTINFO = Path("/proc/self/mountinfo")


@dataclass(frozen=True)
class CpuHierarchy:
    """Where the CPU controller is mounted: a cgroup v1 ``cpu`` hierarchy or the v2 one."""

    mount: Path
    version: int

    def directory_of(self, pid: int) -> Path | None:
        """Return the cgroup directory ``pid`` is in on this hierarchy (gone: ``None``)."""
        try:
            lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        except OSError:
            return None
        for line in lines:
            hierarchy, controllers, path = line.split(":", 2)
            if self.version == 2 and hierarchy == "0" and not controllers:
                return self.mount / path.lstrip("/")
            if self.version == 1 and "cpu" in controllers.split(","):
                return self.mount / path.lstrip("/")
        return None


def find_cpu_hierarchy(mountinfo: str | None = None) -> CpuHierarchy | None:
    """Return the hierarchy that holds the CPU controller, from ``/proc/self/mountinfo``."""
    text = MOUNTINFO.read_text() if mountinfo is None else mountinfo
    unified: Path | None = None
    for line in text.splitlines():
        before, _, after = line.partition(" - ")
        fields, extra = before.split(), after.split()
        if len(fields) < 5 or len(extra) < 3:
            continue
        mount, fstype, options = Path(fields[4]), extra[0], extra[2].split(",")
        if fstype == "cgroup" and "cpu" in options:
            return CpuHierarchy(mount, 1)
        if fstype == "cgroup2":
            unified = mount
    if unified is not None:
        controllers = unified / "cgroup.subtree_control"
        with contextlib.suppress(OSError):
            if "cpu" in controllers.read_text().split():
                return CpuHierarchy(unified, 2)
    return None


class CpuShare(Enum):
    """What a group's processes get of the CPU time that others want too."""

    IDLE = "idle"  # nothing: only time no other process wants
    LOW = "low"  # the weight of niceness 10

    def settings(self, version: int) -> dict[str, str]:
        """Return the files of a cgroup of this hierarchy ``version`` to write, and their values."""
        if self is CpuShare.IDLE:
            return {"cpu.idle": "1"}
        return {"cpu.shares": "110"} if version == 1 else {"cpu.weight.nice": "10"}


@dataclass
class CpuGroup:
    """A cgroup with a :class:`CpuShare`, made for one rehearsal and removed at its end."""

    hierarchy: CpuHierarchy
    directory: Path
    share: CpuShare = CpuShare.IDLE
    _origins: dict[int, Path] = field(default_factory=dict)

    @classmethod
    def create(
        cls, name: str, share: CpuShare = CpuShare.IDLE
    ) -> tuple[CpuGroup | None, str | None]:
        """Make the group ``name`` at the hierarchy's top; ``(None, why)`` when this can't be."""
        hierarchy = find_cpu_hierarchy()
        if hierarchy is None:
            return None, "no CPU controller is mounted"
        directory = hierarchy.mount / name
        try:
            directory.mkdir(exist_ok=True)
            for setting, value in share.settings(hierarchy.version).items():
                (directory / setting).write_text(value)
        except OSError as error:
            with contextlib.suppress(OSError):
                directory.rmdir()
            return None, f"{hierarchy.mount} may not be changed here ({error.strerror})"
        return cls(hierarchy, directory, share), None

    def admit(self, pid: int) -> bool:
        """Move ``pid`` into the group, noting where it came from; False when it can't be moved."""
        if pid in self._origins:
            return True
        origin = self.hierarchy.directory_of(pid)
        if origin is None or not self._move(pid, self.directory):
            return False
        self._origins[pid] = origin
        return True

    def release(self, pid: int) -> None:
        """Move ``pid`` back to the cgroup it came from (gone: nothing)."""
        origin = self._origins.get(pid)
        if origin is not None:
            self._move(pid, origin)
            del self._origins[pid]  # a member until it is back

    def remove(self) -> None:
        """Move every process back and remove the group."""
        for pid in list(self._origins):
            self.release(pid)
        with contextlib.suppress(OSError):
            self.directory.rmdir()

    def admit_group(self, group: int) -> None:
        """Move every process of process group ``group`` into the group (its children follow)."""
        for pid in processes_of_group(group):
            self.admit(pid)

    def release_group(self, group: int) -> None:
        """Move every process of process group ``group`` back, to where its leader came from."""
        origin = self._origins.get(group)
        for pid in processes_of_group(group):
            if pid in self._origins:
                self.release(pid)
            elif origin is not None:  # forked inside the group: back with its leader
                self._move(pid, origin)

    @property
    def members(self) -> set[int]:
        """The processes moved into the group and not yet released."""
        return set(self._origins)

    @staticmethod
    def _move(pid: int, directory: Path) -> bool:
        try:
            (directory / "cgroup.procs").write_text(str(pid))
        except OSError as error:
            if error.errno != errno.ESRCH:  # the process is gone: nothing to move
                logger.debug("could not move process %s to %s: %s", pid, directory, error)
            return False
        return True


def processes_of_group(group: int) -> list[int]:
    """Return the processes whose process group is ``group``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group:
            found.append(int(entry.name))
    return found


# The shared groups are named ``zdt-deployment-work-<share>-<pid of the rehearsal>``.
SHARED_PREFIX = "zdt-deployment-work-"


def remove_abandoned_groups(mount: Path) -> list[Path]:
    """Remove the empty shared groups whose rehearsal is gone; return those removed.

    A rehearsal killed before its cleanup leaves its groups behind. One that still holds a
    process is left as it is (the kernel removes only an empty cgroup), and logged.
    """
    removed = []
    for directory in sorted(mount.glob(f"{SHARED_PREFIX}*")):
        owner = directory.name.rsplit("-", 1)[-1]
        if not owner.isdigit() or process_exists(int(owner)):
            continue
        try:
            directory.rmdir()
        except OSError as error:
            logger.warning("left %s, whose rehearsal is gone: %s", directory, error.strerror)
            continue
        removed.append(directory)
    if removed:
        logger.info("removed CPU groups of rehearsals that are gone: %s", removed)
    return removed


class _Shared:
    """This process's groups, one per share, made on first use (until removed)."""

    groups: dict[CpuShare, CpuGroup] = {}
    unavailable: set[CpuShare] = set()  # tried, and could not be made here


def shared_group(share: CpuShare) -> CpuGroup | None:
    """Return this process's group of ``share`` (a rehearsal's processes and database work).

    ``None`` where it can't be made (the reason is logged once). Making one first removes the
    groups that killed rehearsals left behind (:func:`remove_abandoned_groups`).
    """
    if share not in _Shared.groups and share not in _Shared.unavailable:
        hierarchy = find_cpu_hierarchy()
        if hierarchy is not None:
            remove_abandoned_groups(hierarchy.mount)
        made, why = CpuGroup.create(f"{SHARED_PREFIX}{share.value}-{os.getpid()}", share)
        if made is not None:
            _Shared.groups[share] = made
        else:
            _Shared.unavailable.add(share)
            logger.info("no %s CPU group for the upgrade's own work: %s", share.value, why)
    return _Shared.groups.get(share)


def remove_shared_groups() -> None:
    """Move every member back and remove the groups; :func:`shared_group` then makes new ones."""
    for group in _Shared.groups.values():
        group.remove()
    _Shared.groups, _Shared.unavailable = {}, set()
