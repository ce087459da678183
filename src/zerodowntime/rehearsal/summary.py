"""Per-phase numbers of a rehearsal, as a rich table, and live progress while it runs."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from zerodowntime.rehearsal.probes import LockProbe
from zerodowntime.rehearsal.records import LockSample, PhaseRecord, RequestRecord
from zerodowntime.rehearsal.traffic import TrafficView
from zerodowntime.rehearsal.verdict import WARM_UP


def percentile(values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile ``share`` (0-100) of ``values`` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class PhaseStats:
    """The numbers of one phase: requests, failures, latency percentiles, longest lock wait."""

    name: str
    kind: str
    seconds: float
    requests: int
    failed: int
    p50: float
    p95: float
    p99: float
    max: float
    longest_lock_wait: float
    lock_query: str

    def as_dict(self) -> dict[str, object]:
        """Return the numbers as a JSON-ready dict (latencies in milliseconds)."""
        return {
            "phase": self.name,
            "kind": self.kind,
            "seconds": round(self.seconds, 3),
            "requests": self.requests,
            "failed": self.failed,
            "p50_ms": round(self.p50 * 1000, 1),
            "p95_ms": round(self.p95 * 1000, 1),
            "p99_ms": round(self.p99 * 1000, 1),
            "max_ms": round(self.max * 1000, 1),
            "longest_lock_wait_ms": round(self.longest_lock_wait * 1000, 1),
            "lock_query": self.lock_query,
        }


def _stats(
    name: str,
    kind: str,
    seconds: float,
    records: Sequence[RequestRecord],
    locks: Sequence[LockSample],
) -> PhaseStats:
    latencies = [r.latency for r in records]
    longest = max(locks, key=lambda s: s.longest_wait, default=None)
    return PhaseStats(
        name=name,
        kind=kind,
        seconds=seconds,
        requests=len(records),
        failed=sum(1 for r in records if not r.ok),
        p50=percentile(latencies, 50),
        p95=percentile(latencies, 95),
        p99=percentile(latencies, 99),
        max=max(latencies, default=0.0),
        longest_lock_wait=longest.longest_wait if longest else 0.0,
        lock_query=longest.query if longest else "",
    )


def phase_stats(
    phases: Sequence[PhaseRecord],
    records: Sequence[RequestRecord],
    locks: Sequence[LockSample],
) -> list[PhaseStats]:
    """Return the stats of every phase, then a last row for the whole run but the warm-up."""
    rows = []
    for phase in phases:
        end = phase.ended if phase.ended is not None else float("inf")
        rows.append(
            _stats(
                phase.name,
                phase.kind,
                phase.seconds,
                [r for r in records if r.phase == phase.name],
                [s for s in locks if phase.started <= s.at <= end],
            )
        )
    judged = [p for p in phases if p.kind != WARM_UP]
    names = {p.name for p in judged}
    total = sum(p.seconds for p in judged)
    start = min((p.started for p in judged), default=0.0)
    rows.append(
        _stats(
            "total",
            "total",
            total,
            [r for r in records if r.phase in names],
            [s for s in locks if s.at >= start],
        )
    )
    return rows


PHASE_COLUMNS = ("phase", "s", "requests", "failed", "p50 ms", "p95 ms", "p99 ms", "max ms")


def phase_line(row: PhaseStats | None = None) -> str:
    """Return one phase's numbers as a fixed-width line (the header line when ``row`` is None)."""
    cells = (
        PHASE_COLUMNS + ("lock wait ms",)
        if row is None
        else (
            row.name,
            f"{row.seconds:.1f}",
            str(row.requests),
            str(row.failed),
            *(f"{v * 1000:.0f}" for v in (row.p50, row.p95, row.p99, row.max)),
            f"{row.longest_lock_wait * 1000:.0f}",
        )
    )
    return f"{cells[0]:<22}" + "".join(f"{cell:>9}" for cell in cells[1:-1]) + f"{cells[-1]:>14}"


def summary_table(stats: Sequence[PhaseStats], title: str = "Rehearsal") -> Table:
    """Return a rich table with one row per phase."""
    table = Table(title=title, title_justify="left")
    for header in PHASE_COLUMNS:
        table.add_column(header, justify="left" if header == "phase" else "right")
    table.add_column("lock wait ms", justify="right")
    for row in stats:
        failed = Text(str(row.failed), style="bold red" if row.failed else "green")
        table.add_row(
            row.name,
            f"{row.seconds:.1f}",
            str(row.requests),
            failed,
            f"{row.p50 * 1000:.0f}",
            f"{row.p95 * 1000:.0f}",
            f"{row.p99 * 1000:.0f}",
            f"{row.max * 1000:.0f}",
            f"{row.longest_lock_wait * 1000:.0f}",
            end_section=row.kind in ("after", "baseline", WARM_UP),
        )
    return table


class LiveProgress:
    """Show the current phase, requests sent, failures and lock waits while a rehearsal runs.

    Each phase's row is printed as the phase ends (requests still in flight then are counted in
    the final table only).
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.current = "preparing"
        self.open: PhaseRecord | None = None
        self._header_printed = False
        self.traffic: TrafficView | None = None
        self.probe: LockProbe | None = None
        self._live: Live | None = None
        self._stop = threading.Event()

    def _line(self) -> Text:
        if self.traffic is None:
            return Text(f"{self.current}...")
        longest = (
            max((s.longest_wait for s in list(self.probe.samples)), default=0.0)
            if (self.probe)
            else 0.0
        )
        failed = self.traffic.failed
        return Text.assemble(
            (f"{self.current:<22}", "bold"),
            f" sent {self.traffic.scheduled:>6}",
            f"  in flight {self.traffic.in_flight():>3}",
            ("  failed ", ""),
            (str(failed), "bold red" if failed else "green"),
            f"  longest lock wait {longest * 1000:.0f} ms",
        )

    def _refresh(self) -> None:
        while not self._stop.wait(0.25):
            if self._live is not None:
                self._live.update(self._line())

    def started(self, traffic: TrafficView, probe: LockProbe) -> None:
        """Start showing the live line."""
        self.traffic, self.probe = traffic, probe
        self._live = Live(self._line(), console=self.console, transient=True)
        self._live.start()
        threading.Thread(target=self._refresh, daemon=True).start()

    def _phase_ended(self) -> None:
        """Print the row of the phase that has just ended."""
        phase, self.open = self.open, None
        if phase is None or phase.ended is None or self.traffic is None:
            return
        locks = list(self.probe.samples) if self.probe else []
        row = phase_stats([phase], list(self.traffic.records), locks)[0]
        self.console.print(phase_line(row), markup=False, highlight=False)

    def phase(self, phase: PhaseRecord) -> None:
        """Print the row of the phase that ended, and the name of the one that begins."""
        if not self._header_printed:
            self.console.print(phase_line(), style="bold", markup=False, highlight=False)
            self._header_printed = True
        self._phase_ended()
        self.current, self.open = phase.name, phase
        self.console.log(f"phase: {phase.name}")

    def finished(self) -> None:
        """Stop the live line and print the last phase's row."""
        self._stop.set()
        if self._live is not None:
            self._live.stop()
        self._phase_ended()
