"""The share of this machine's CPU time its hypervisor gave to someone else (steal time).

On a virtual machine, ``/proc/stat`` counts as *steal* the time a virtual CPU was ready to run
but the host ran something else (proc(5)). A rehearsal's latencies on a shared host move with
it: in a run with no upgrade at all, the stretches with many slow requests were those with
10–18 % steal (docs/BENCHMARKS.md, "Tenth pass"). Each phase records its steal so that a
reader, and the verdict's text, can tell the machine's noise from the upgrade's cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROC_STAT = Path("/proc/stat")


@dataclass(frozen=True)
class CpuTicks:
    """The machine's CPU time so far, in clock ticks: stolen, and in all."""

    steal: int
    total: int


def parse_cpu_line(text: str) -> CpuTicks | None:
    """Return the ticks of the ``cpu`` line of a ``/proc/stat`` text (None if it has none).

    The line's values are user, nice, system, idle, iowait, irq, softirq, steal, then guest
    times that user and nice already count.
    """
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu" and len(fields) > 8:
            values = [int(v) for v in fields[1:9]]
            return CpuTicks(steal=values[7], total=sum(values))
    return None


def read_cpu_ticks(path: Path = PROC_STAT) -> CpuTicks | None:
    """Return the machine's ticks now, or None where ``/proc/stat`` cannot be read."""
    try:
        return parse_cpu_line(path.read_text())
    except (OSError, ValueError):
        return None


def stolen_share(start: CpuTicks | None, end: CpuTicks | None) -> float | None:
    """Return the share (0–1) of the CPU time between ``start`` and ``end`` that was stolen."""
    if start is None or end is None or end.total <= start.total:
        return None
    return max(0, end.steal - start.steal) / (end.total - start.total)
