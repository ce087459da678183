"""The machine's CPU steal, read from /proc/stat, and each phase's share of it."""

from __future__ import annotations

from pathlib import Path

from zerodowntime.rehearsal.cpu_steal import (
    CpuTicks,
    parse_cpu_line,
    read_cpu_ticks,
    stolen_share,
)
from zerodowntime.rehearsal.records import PhaseRecord, close_phase, open_phase

STAT = """cpu  100 20 30 800 10 0 5 35 7 0
cpu0 50 10 15 400 5 0 2 18 3 0
intr 12345
"""


def test_the_cpu_line_gives_steal_and_all_ticks_without_the_guest_times() -> None:
    # user+nice+system+idle+iowait+irq+softirq+steal; guest (7) is already inside user.
    assert parse_cpu_line(STAT) == CpuTicks(steal=35, total=1000)
    assert parse_cpu_line("intr 1\n") is None


def test_the_share_is_of_the_ticks_between_two_readings() -> None:
    assert stolen_share(CpuTicks(35, 1000), CpuTicks(60, 1200)) == 25 / 200
    assert stolen_share(CpuTicks(35, 1000), CpuTicks(35, 1000)) is None
    assert stolen_share(None, CpuTicks(60, 1200)) is None


def test_an_unreadable_stat_file_gives_none(tmp_path: Path) -> None:
    assert read_cpu_ticks(tmp_path / "missing") is None
    (tmp_path / "stat").write_text(STAT)
    assert read_cpu_ticks(tmp_path / "stat") == CpuTicks(35, 1000)


def test_a_closed_phase_has_the_steal_of_this_machine_between_its_ends() -> None:
    phases: list[PhaseRecord] = []
    first = open_phase(phases, 0.0, "baseline 1", "baseline", "1")
    assert first.cpu_at_start is not None and first.cpu_steal is None
    sum(n * n for n in range(300_000))  # some CPU time between the two readings
    open_phase(phases, 1.0, "migrate 2", "migrate", "2")
    assert first.cpu_steal is not None and 0.0 <= first.cpu_steal <= 1.0
    sum(n * n for n in range(300_000))
    close_phase(phases, 2.0)
    assert phases[1].cpu_steal is not None
