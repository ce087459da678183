"""What a rehearsal records: requests, phases, lock samples and integrity results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from zerodowntime.rehearsal.cpu_steal import CpuTicks, read_cpu_ticks, stolen_share


@dataclass
class RequestRecord:
    """One request sent by the load generator; times are seconds since the rehearsal began."""

    scheduled: float
    started: float
    finished: float
    phase: str
    server: str
    client_release: str
    operation: str
    served_release: str | None
    ok: bool
    error: str | None = None

    @property
    def latency(self) -> float:
        """Return the seconds from the scheduled send time to the response (open-loop latency)."""
        return self.finished - self.scheduled


@dataclass
class PhaseRecord:
    """A stretch of the rehearsal: baseline, migrate, background, roll or after."""

    name: str
    kind: str
    release: str
    started: float
    ended: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    # Share of the machine's CPU time stolen by its hypervisor during the phase (None: unknown).
    cpu_steal: float | None = None
    # The machine's CPU ticks when the phase began (not in the report).
    cpu_at_start: CpuTicks | None = field(default=None, repr=False, compare=False)

    @property
    def seconds(self) -> float:
        """Return how long the phase lasted (so far)."""
        return (self.ended if self.ended is not None else self.started) - self.started

    def contains(self, at: float) -> bool:
        """Return True when ``at`` falls in the phase (an open phase runs on)."""
        return self.started <= at and (self.ended is None or at <= self.ended)


def close_phase(phases: list[PhaseRecord], now: float) -> None:
    """End the last of ``phases`` at ``now`` if it is still open; note its CPU steal."""
    if phases and phases[-1].ended is None:
        phase = phases[-1]
        phase.ended = now
        phase.cpu_steal = stolen_share(phase.cpu_at_start, read_cpu_ticks())


def open_phase(
    phases: list[PhaseRecord], now: float, name: str, kind: str, release: str
) -> PhaseRecord:
    """End the open phase and append a new one starting at ``now``; return it."""
    close_phase(phases, now)
    phase = PhaseRecord(
        name=name, kind=kind, release=release, started=now, cpu_at_start=read_cpu_ticks()
    )
    phases.append(phase)
    return phase


@dataclass(frozen=True)
class LockSample:
    """One sample of PostgreSQL backends waiting on a lock."""

    at: float
    waiting: int
    blocked_requests: int
    longest_wait: float
    query: str
    blocker: str


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one integrity check: passed, failed or skipped, with a detail."""

    name: str
    status: str
    detail: str = ""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def failed(self) -> bool:
        """Return True when the check found a problem."""
        return self.status == self.FAILED


@dataclass
class FaultRecord:
    """A fault injected into a rehearsal: what, in which upgrade, and its window (seconds)."""

    kind: str
    release: str
    started: float
    ended: float | None = None
    detail: str = ""
    skipped: bool = False

    @property
    def end(self) -> float:
        """Return the end of the fault's window (its start while it lasts)."""
        return self.ended if self.ended is not None else self.started

    @property
    def name(self) -> str:
        """Return the fault's label: its kind and the release being deployed."""
        return f"{self.kind} ({self.release})"


def in_fault_window(record: RequestRecord, faults: Sequence[FaultRecord]) -> bool:
    """Return True when ``record`` was in flight during the window of a fault that happened."""
    return any(
        not fault.skipped and record.scheduled <= fault.end and record.finished >= fault.started
        for fault in faults
    )
