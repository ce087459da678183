"""Per-phase numbers of a rehearsal, as a rich table, and live progress while it runs."""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

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
    return _nearest_rank(sorted(values), share)


def _nearest_rank(ordered: Sequence[float], share: float) -> float:
    if not ordered:
        return 0.0
    return ordered[_rank(len(ordered), share) - 1]


def _rank(count: int, share: float) -> int:
    """Return the 1-based nearest rank of percentile ``share`` among ``count`` values."""
    return max(1, math.ceil(share / 100 * count))


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
    # Share of the machine's CPU time its hypervisor stole during the phase (None: unknown).
    cpu_steal: float | None = None
    # Every latency of the phase, in order (not in the report's table: the requests are there).
    latencies: tuple[float, ...] = field(default=(), repr=False, compare=False)

    def above(self, seconds: float) -> int:
        """Return how many of the phase's requests took longer than ``seconds``."""
        return len(self.latencies) - bisect.bisect_right(self.latencies, seconds)

    def allowed_above_p99(self) -> int:
        """Return how many requests may be slower than a limit the p99 still meets."""
        return self.requests - _rank(self.requests, 99) if self.requests else 0

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
            "cpu_steal_pct": None if self.cpu_steal is None else round(self.cpu_steal * 100, 1),
        }

    def steal_cell(self) -> str:
        """Return the phase's CPU steal for a table cell ("" when unknown)."""
        return "" if self.cpu_steal is None else f"{self.cpu_steal * 100:.1f}"


@dataclass
class PhaseTally:
    """The latencies and failures of one phase's requests, added as they are recorded."""

    latencies: list[float] = field(default_factory=list)
    failed: int = 0

    def add(self, record: RequestRecord) -> None:
        """Count ``record`` in."""
        self.latencies.append(record.latency)
        self.failed += not record.ok

    def stats(
        self,
        name: str,
        kind: str,
        seconds: float,
        locks: Sequence[LockSample],
        cpu_steal: float | None = None,
    ) -> PhaseStats:
        """Return the phase's numbers (its latencies sorted once)."""
        ordered = sorted(self.latencies)
        longest = max(locks, key=lambda s: s.longest_wait, default=None)
        return PhaseStats(
            name=name,
            kind=kind,
            seconds=seconds,
            requests=len(ordered),
            failed=self.failed,
            p50=_nearest_rank(ordered, 50),
            p95=_nearest_rank(ordered, 95),
            p99=_nearest_rank(ordered, 99),
            max=ordered[-1] if ordered else 0.0,
            longest_lock_wait=longest.longest_wait if longest else 0.0,
            lock_query=longest.query if longest else "",
            cpu_steal=cpu_steal,
            latencies=tuple(ordered),
        )


def _stats(
    name: str,
    kind: str,
    seconds: float,
    records: Sequence[RequestRecord],
    locks: Sequence[LockSample],
    cpu_steal: float | None,
) -> PhaseStats:
    tally = PhaseTally()
    for record in records:
        tally.add(record)
    return tally.stats(name, kind, seconds, locks, cpu_steal)


def _mean_steal(phases: Sequence[PhaseRecord]) -> float | None:
    """Return the steal of ``phases`` together, weighted by their length (None if none known)."""
    known = [p for p in phases if p.cpu_steal is not None and p.seconds > 0]
    seconds = sum(p.seconds for p in known)
    if not seconds:
        return None
    return sum((p.cpu_steal or 0.0) * p.seconds for p in known) / seconds


def phase_stats(
    phases: Sequence[PhaseRecord],
    records: Sequence[RequestRecord],
    locks: Sequence[LockSample],
) -> list[PhaseStats]:
    """Return the stats of every phase, then a last row for the whole run but the warm-up."""
    rows = []
    for phase in phases:
        rows.append(
            _stats(
                phase.name,
                phase.kind,
                phase.seconds,
                [r for r in records if r.phase == phase.name],
                [s for s in locks if phase.contains(s.at)],
                phase.cpu_steal,
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
            _mean_steal(judged),
        )
    )
    return rows


PHASE_COLUMNS = ("phase", "s", "requests", "failed", "p50 ms", "p95 ms", "p99 ms", "max ms")
# The columns after the latencies: the longest lock wait, and the CPU time the host stole.
LAST_COLUMNS = ("lock wait ms", "steal %")


def phase_line(row: PhaseStats | None = None) -> str:
    """Return one phase's numbers as a fixed-width line (the header line when ``row`` is None)."""
    cells = (
        PHASE_COLUMNS + LAST_COLUMNS
        if row is None
        else (
            row.name,
            f"{row.seconds:.1f}",
            str(row.requests),
            str(row.failed),
            *(f"{v * 1000:.0f}" for v in (row.p50, row.p95, row.p99, row.max)),
            f"{row.longest_lock_wait * 1000:.0f}",
            row.steal_cell(),
        )
    )
    return (
        f"{cells[0]:<22}"
        + "".join(f"{cell:>9}" for cell in cells[1:-2])
        + "".join(f"{cell:>14}" for cell in cells[-2:])
    )


def summary_table(stats: Sequence[PhaseStats], title: str = "Rehearsal") -> Table:
    """Return a rich table with one row per phase."""
    table = Table(title=title, title_justify="left")
    for header in PHASE_COLUMNS:
        table.add_column(header, justify="left" if header == "phase" else "right")
    for header in LAST_COLUMNS:
        table.add_column(header, justify="right")
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
            row.steal_cell(),
            end_section=row.kind in ("after", "baseline", WARM_UP),
        )
    return table


class LiveProgress:
    """Show the current phase, requests sent, failures and lock waits while a rehearsal runs.

    Each phase's row is printed as the phase ends (requests still in flight then are counted in
    the final table only). The load generator runs in this process: the requests recorded are
    tallied by phase a few at a time as they come, so that a phase's row costs a sort of its own
    latencies, not a pass over the whole run while the generator's thread waits for the
    interpreter (at 50,000 requests that pass took 50 ms, and the first requests of the next
    phase paid for it: ``bench/bench_live_progress.py``).
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
        self._tallies: dict[str, PhaseTally] = {}
        self._tallied = 0  # records tallied so far
        self._printed: set[str] = set()  # phases whose row is out (late answers go uncounted)
        self._tally_lock = threading.Lock()

    def _tally_new_records(self) -> None:
        """Tally the requests recorded since the last call."""
        if self.traffic is None:
            return
        with self._tally_lock:
            new = self.traffic.records[self._tallied :]
            self._tallied += len(new)
            for record in new:
                if record.phase not in self._printed:
                    self._tallies.setdefault(record.phase, PhaseTally()).add(record)

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
            self._tally_new_records()
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
        self._tally_new_records()
        with self._tally_lock:
            tally = self._tallies.pop(phase.name, PhaseTally())
            self._printed.add(phase.name)
        locks = [s for s in (self.probe.samples if self.probe else []) if phase.contains(s.at)]
        row = tally.stats(phase.name, phase.kind, phase.seconds, locks, phase.cpu_steal)
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
