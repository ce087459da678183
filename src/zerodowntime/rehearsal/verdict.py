"""The verdict of a rehearsal: its measurements held against targets, each shown with its number.

The targets (defaults here, each overridable by an option of ``zdt rehearse``):

- no failed request (``max_failed`` = 0);
- every integrity check passes;
- no request slower than ``max_latency_ms`` (500 ms), over the whole run after the warm-up (the
  first seconds of traffic, which warm the first release's servers: their failures count);
- in each migrate and background phase, a p99 at most ``p99_ratio`` (2x) the baseline's p99.
  A missed one also says how much of the machine's CPU time its hypervisor stole during the
  phase and during the baseline (``zerodowntime.rehearsal.cpu_steal``): on a shared host, the
  noise that can move a p99 with no upgrade at all. It is shown, not discounted.

A path that skips a release (run only with ``--allow-skip``) is expected to break the old
release: its failed requests give "EXPECTED FAILURE: N requests failed" instead of FAILED,
while a failed integrity check still fails it.

A rehearsal with faults (``--faults``) is judged on the requests outside the faults' windows;
those that failed inside one are counted apart and shown, not judged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module: keep it free of the rehearsal's dependencies
    from zerodowntime.rehearsal.records import CheckResult
    from zerodowntime.rehearsal.summary import PhaseStats

JUDGED_KINDS = ("migrate", "background")
# The phase that warms the first release's servers with traffic before the baseline: its
# failures count, its latencies are not judged (servers in service have served for long).
WARM_UP = "warm-up"


class Outcome(StrEnum):
    """What a rehearsal's verdict says."""

    PASSED = "PASSED"
    FAILED = "FAILED"
    EXPECTED_FAILURE = "EXPECTED FAILURE"


@dataclass(frozen=True)
class Targets:
    """The limits a rehearsal is held to."""

    max_failed: int = 0
    max_latency_ms: float = 500.0
    p99_ratio: float = 2.0
    integrity: bool = True


@dataclass(frozen=True)
class TargetResult:
    """One target, what was measured against it, and whether it was met."""

    name: str
    target: str
    measured: str
    met: bool


@dataclass(frozen=True)
class Verdict:
    """The outcome, the sentence that says it, and every target with its measurement."""

    outcome: Outcome
    headline: str
    results: tuple[TargetResult, ...]
    targets: Targets

    @property
    def failed(self) -> bool:
        """Return True when the rehearsal missed a target (``zdt rehearse`` exits non-zero)."""
        return self.outcome is Outcome.FAILED

    @property
    def missed(self) -> list[TargetResult]:
        """Return the targets that were not met."""
        return [r for r in self.results if not r.met]

    def as_dict(self) -> dict[str, object]:
        """Return the verdict as JSON-ready data."""
        return {
            "outcome": self.outcome.value,
            "headline": self.headline,
            "targets": asdict(self.targets),
            "results": [asdict(r) for r in self.results],
        }


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _times(measured: float, limit: float) -> str:
    """Return ``measured`` as a ratio (``2.3×``), with a second decimal where the first would
    put it on the wrong side of ``limit`` (a miss at 2.04× against 2× reads ``2.04×``)."""
    short = f"{measured:.1f}"
    if (float(short) <= limit) != (measured <= limit):
        return f"{measured:.2f}×"
    return f"{short}×"


def _p99_results(stats: Sequence[PhaseStats], ratio: float) -> list[TargetResult]:
    baseline = next((s for s in stats if s.kind == "baseline"), None)
    results = []
    for row in stats:
        if row.kind not in JUDGED_KINDS:
            continue
        name = f"p99 of {row.name}"
        if baseline is None or baseline.p99 <= 0:
            results.append(TargetResult(name, f"≤ {ratio:g}× baseline p99", "no baseline", True))
            continue
        target = f"≤ {ratio:g}× baseline p99 ({_ms(baseline.p99)})"
        if row.requests == 0:
            results.append(TargetResult(name, target, "no requests", True))
            continue
        measured = row.p99 / baseline.p99
        limit = ratio * baseline.p99
        slower = f"{row.above(limit)} of {row.requests} requests over {_ms(limit)}"
        allowed = f"{row.allowed_above_p99()} allowed"
        met = measured <= ratio
        steal = "" if met else _steal_note(row, baseline)
        results.append(
            TargetResult(
                name,
                target,
                f"{_times(measured, ratio)} ({_ms(row.p99)}; {slower}, {allowed}{steal})",
                met,
            )
        )
    return results


def _steal_note(row: PhaseStats, baseline: PhaseStats) -> str:
    """Return "; CPU steal 9.1 % (baseline 2.0 %)" when both are known, else ""."""
    if row.cpu_steal is None or baseline.cpu_steal is None:
        return ""
    return f"; CPU steal {row.cpu_steal * 100:.1f} % (baseline {baseline.cpu_steal * 100:.1f} %)"


def judge(
    stats: Sequence[PhaseStats],
    checks: Sequence[CheckResult],
    targets: Targets,
    *,
    skip: bool = False,
    fault_failures: int | None = None,
) -> Verdict:
    """Return the verdict of a rehearsal from its phase stats (with the total row last).

    With ``fault_failures`` (the requests that failed inside fault windows), ``stats`` are
    those of the requests outside the windows, and the failures inside are shown apart.
    """
    total = stats[-1]
    outside = "" if fault_failures is None else " outside fault windows"
    failed_checks = [c.name for c in checks if c.failed]
    integrity = TargetResult(
        "integrity",
        "every check passes" if targets.integrity else "not judged",
        f"{len(failed_checks)} failed: {', '.join(failed_checks)}"
        if failed_checks
        else f"{sum(1 for c in checks if not c.failed)} passed or skipped",
        not (targets.integrity and failed_checks),
    )
    warm_up = [row for row in stats if row.kind == WARM_UP]
    failed_count = total.failed + sum(row.failed for row in warm_up)
    requests = total.requests + sum(row.requests for row in warm_up)
    failed = TargetResult(
        f"failed requests{outside}",
        f"≤ {targets.max_failed}",
        f"{failed_count} of {requests}",
        failed_count <= targets.max_failed,
    )
    latency = TargetResult(
        f"max latency{outside}",
        f"≤ {targets.max_latency_ms:g} ms",
        _ms(total.max),
        total.max * 1000 <= targets.max_latency_ms,
    )
    results: tuple[TargetResult, ...] = (integrity, failed, latency)
    if fault_failures is not None:
        inside = TargetResult(
            "failed requests inside fault windows", "counted apart", str(fault_failures), True
        )
        results += (inside,)
    results += tuple(_p99_results(stats, targets.p99_ratio))
    if skip and failed_count and integrity.met:
        noun = "request" if failed_count == 1 else "requests"
        headline = f"EXPECTED FAILURE: {failed_count} {noun} failed"
        return Verdict(Outcome.EXPECTED_FAILURE, headline, results, targets)
    missed = [r.name for r in results if not r.met]
    if missed:
        return Verdict(Outcome.FAILED, f"FAILED: {', '.join(missed)}", results, targets)
    return Verdict(Outcome.PASSED, "PASSED", results, targets)
