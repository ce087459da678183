"""Write a rehearsal's report: JSON with every measurement and a self-contained HTML page.

The page is the Django template ``report.html`` beside this module, rendered by a standalone
template :class:`~django.template.Engine` (whatever the project's ``TEMPLATES`` say). It draws
the latency timeline as inline SVG (phases shaded by kind, with a legend and numbered axes;
failures in red, lock waits in orange) and loads nothing from anywhere.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import Any

from django.template import Context, Engine

from zerodowntime.rehearsal.orchestrator import RehearsalResult
from zerodowntime.rehearsal.records import PhaseRecord, in_fault_window
from zerodowntime.rehearsal.summary import PhaseStats, phase_stats
from zerodowntime.rehearsal.verdict import Outcome, Targets, Verdict, judge

WIDTH, HEIGHT = 1100, 420
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 56, 44
MAX_OK_POINTS = 20_000
MAX_MARKS = 2_000
SCHEME = re.compile(r"https?://", re.IGNORECASE)
PHASE_COLOURS = {
    "baseline": "#e6f2e6",
    "migrate": "#fde3cf",
    "background": "#fbf3c8",
    "roll": "#dde8f8",
    "after": "#efefef",
}
PHASE_MEANING = {
    "baseline": "baseline (first release, before any change)",
    "migrate": "migrate (workers stopped, zdt migrate)",
    "background": "background (new workers, backfills)",
    "roll": "roll (app servers switched one by one)",
    "after": "after (new and old clients)",
}


def _plain(text: object) -> str:
    """Return ``text`` with URL schemes removed (the page names no URL)."""
    return SCHEME.sub("", str(text))


def error_groups(result: RehearsalResult) -> list[dict[str, Any]]:
    """Return the distinct errors clients got, most frequent first."""
    counts: Counter[tuple[str, str, str, str]] = Counter(
        (r.phase, r.client_release, r.operation, r.error or "") for r in result.failed
    )
    return [
        {"phase": p, "client_release": c, "operation": o, "error": e, "count": n}
        for (p, c, o, e), n in counts.most_common()
    ]


def verdict_of(result: RehearsalResult, targets: Targets | None = None) -> Verdict:
    """Return the verdict of ``result`` against ``targets`` (the defaults when None).

    With faults, the requests in flight during a fault's window are left out of the judged
    numbers and their failures counted apart.
    """
    if not result.faults:
        stats = phase_stats(result.phases, result.records, result.lock_samples)
        return judge(stats, result.checks, targets or Targets(), skip=result.skip)
    outside = [r for r in result.records if not in_fault_window(r, result.faults)]
    stats = phase_stats(result.phases, outside, result.lock_samples)
    inside = len(result.failed) - sum(1 for r in outside if not r.ok)
    return judge(
        stats, result.checks, targets or Targets(), skip=result.skip, fault_failures=inside
    )


def fault_rows(result: RehearsalResult) -> list[dict[str, Any]]:
    """Return each fault with its window and the requests that failed inside it."""
    return [
        {
            "number": number,
            "name": fault.name,
            "kind": fault.kind,
            "release": fault.release,
            "started": round(fault.started, 3),
            "ended": round(fault.end, 3),
            "skipped": fault.skipped,
            "failed_inside": sum(1 for r in result.failed if in_fault_window(r, [fault])),
            "detail": _plain(fault.detail),
        }
        for number, fault in enumerate(result.faults, start=1)
    ]


def to_json(result: RehearsalResult, verdict: Verdict | None = None) -> dict[str, Any]:
    """Return the whole result, with its verdict and targets, as JSON-ready data."""
    verdict = verdict or verdict_of(result)
    stats = phase_stats(result.phases, result.records, result.lock_samples)
    config = asdict(result.config)
    config["workdir"] = str(result.config.workdir)
    config.pop("server_url", None)
    config.pop("redis_url", None)
    return {
        "started_at": result.started_at,
        "config": config,
        "skip": result.skip,
        "verdict": verdict.as_dict(),
        "passed": verdict.outcome is Outcome.PASSED,
        "refusals": result.refusals,
        "server_errors": result.server_errors,
        "left_out": result.left_out,
        "lowered_statements": result.lowered_statements,
        "lowered_in_cpu_group": result.lowered_in_cpu_group,
        "seconds": result.seconds,
        "phases": [_phase_json(p) for p in result.phases],
        "summary": [s.as_dict() for s in stats],
        "integrity": [asdict(c) for c in result.checks],
        "background_migrations": [asdict(b) for b in result.background],
        "errors": error_groups(result),
        "lock_samples": [asdict(s) for s in result.lock_samples],
        "faults": fault_rows(result),
        "requests": [dict(asdict(r), latency=round(r.latency, 6)) for r in result.records],
    }


def _phase_json(phase: PhaseRecord) -> dict[str, Any]:
    """Return a phase as JSON-ready data, its steal rounded and its start ticks left out."""
    data = asdict(phase)
    data.pop("cpu_at_start")
    data["cpu_steal"] = None if phase.cpu_steal is None else round(phase.cpu_steal, 4)
    return data


class _Scale:
    def __init__(self, duration: float, top_ms: float) -> None:
        self.duration = max(duration, 1e-3)
        self.top = math.log10(max(top_ms, 10.0))

    def x(self, seconds: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * min(max(seconds / self.duration, 0.0), 1.0)

    def y(self, ms: float) -> float:
        share = min(max(math.log10(max(ms, 1.0)) / self.top, 0.0), 1.0)
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * share


def _tick_step(duration: float) -> float:
    """Return a round step (1, 2 or 5 times a power of ten) giving about ten ticks."""
    raw = max(duration, 1e-3) / 10
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def timeline(result: RehearsalResult, max_latency_ms: float) -> dict[str, Any]:
    """Return the geometry of the latency timeline for the template."""
    records = result.records
    duration = max([p.ended or p.started for p in result.phases] + [r.finished for r in records])
    top_ms = max([r.latency * 1000 for r in records] + [1000.0, max_latency_ms * 1.2])
    scale = _Scale(duration, top_ms)
    phases = [
        {
            "number": number + 1,
            "name": _plain(phase.name),
            "x": round(scale.x(phase.started), 1),
            "label_x": round(scale.x(phase.started) + 2, 1),
            "width": round(max(scale.x(phase.ended or duration) - scale.x(phase.started), 0.5), 1),
            "label_y": TOP - 6 - 11 * (number % 4),
            "fill": PHASE_COLOURS.get(phase.kind, "#f7f7f7"),
        }
        for number, phase in enumerate(result.phases)
    ]
    kinds = list(dict.fromkeys(p.kind for p in result.phases))
    step = _tick_step(duration)
    x_ticks = [
        {"x": round(scale.x(i * step), 1), "label": f"{i * step:g}"}
        for i in range(int(duration / step) + 1)
    ]
    y_ticks = [
        {"y": round(scale.y(ms), 1), "label": f"{ms:g} ms"}
        for ms in (1, 10, 100, 1000, 10000, 100000)
        if math.log10(ms) <= scale.top
    ]
    ok = [r for r in records if r.ok]
    stride = max(1, math.ceil(len(ok) / MAX_OK_POINTS))
    ok_path = "".join(
        f"M{scale.x(r.scheduled):.1f} {scale.y(r.latency * 1000):.1f}h0" for r in ok[::stride]
    )
    failures = [
        {
            "d": f"M{scale.x(r.scheduled) - 3:.1f},{scale.y(r.latency * 1000) - 3:.1f}"
            "l6,6m-6,0l6,-6",
            "title": _plain(f"{r.operation}: {r.error}"),
        }
        for r in result.failed[:MAX_MARKS]
    ]
    locks = [
        {
            "x": round(scale.x(s.at) - 1.5, 1),
            "y": round(scale.y(s.longest_wait * 1000) - 1.5, 1),
            "title": _plain(f"lock wait {s.longest_wait * 1000:.0f} ms: {s.query}"),
        }
        for s in result.lock_samples[:MAX_MARKS]
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "plot_height": HEIGHT - TOP - BOTTOM,
        "middle": (LEFT + WIDTH - RIGHT) // 2,
        "y_label_x": LEFT - 6,
        "tick_end": HEIGHT - BOTTOM + 5,
        "tick_label_y": HEIGHT - BOTTOM + 16,
        "axis_label_y": HEIGHT - 6,
        "phases": phases,
        "legend": [
            {"fill": PHASE_COLOURS.get(k, "#f7f7f7"), "label": PHASE_MEANING.get(k, k)}
            for k in kinds
        ],
        "x_ticks": x_ticks,
        "y_ticks": y_ticks,
        "target_y": round(scale.y(max_latency_ms), 1),
        "ok_path": ok_path,
        "failures": failures,
        "locks": locks,
        "faults": [
            {
                "x": round(scale.x(f["started"]), 1),
                "width": round(max(scale.x(f["ended"]) - scale.x(f["started"]), 2.0), 1),
                "label_x": round(scale.x(f["started"]) + 2, 1),
                "label_y": HEIGHT - BOTTOM - 4 - 11 * (f["number"] % 3),
                "label": f"F{f['number']}",
                "title": f"F{f['number']} {f['name']}: {f['detail']}",
            }
            for f in fault_rows(result)
            if not f["skipped"]
        ],
    }


def _stats_rows(stats: list[PhaseStats]) -> list[list[str]]:
    return [
        [s.name, f"{s.seconds:.1f}", str(s.requests), str(s.failed), f"{s.p50 * 1000:.0f}",
         f"{s.p95 * 1000:.0f}", f"{s.p99 * 1000:.0f}", f"{s.max * 1000:.0f}",
         f"{s.longest_lock_wait * 1000:.0f}", s.steal_cell()]
        for s in stats
    ]  # fmt: skip


def _seconds(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, int | float) else ""


def migration_rows(result: RehearsalResult) -> list[list[str]]:
    """Return the migrate and background phases split into their parts (seconds).

    The parts add up to the phase's length in the phase table; what no part covers (the
    bookkeeping between steps) is the last column.
    """
    rows = []
    for phase in result.phases:
        if phase.kind not in ("migrate", "background"):
            continue
        parts = {
            key: phase.detail.get(key)
            for key in ("stop_workers_seconds", "migration_seconds", "background_seconds")
        }
        covered = sum(v for v in parts.values() if isinstance(v, int | float))
        rows.append(
            [
                phase.name,
                f"{phase.seconds:.1f}",
                _seconds(parts["stop_workers_seconds"]),
                _seconds(parts["migration_seconds"]),
                _seconds(parts["background_seconds"]),
                f"{max(phase.seconds - covered, 0.0):.1f}",
            ]
        )
    return rows


@cache
def _engine() -> Engine:
    return Engine(dirs=[str(Path(__file__).resolve().parent)], autoescape=True)


def to_html(result: RehearsalResult, verdict: Verdict | None = None) -> str:
    """Return the self-contained HTML report."""
    verdict = verdict or verdict_of(result)
    stats = phase_stats(result.phases, result.records, result.lock_samples)
    config = result.config
    context = {
        "path": " → ".join(config.path),
        "verdict": verdict,
        "defaults": Targets(),
        "verdict_class": verdict.outcome.name.lower().replace("_", "-"),
        "kind": "skips a release (--allow-skip: failures expected)"
        if result.skip
        else "one release at a time",
        "config": config,
        "started_at": result.started_at,
        "requests": len(result.records),
        "failed": len(result.failed),
        "refusals": [_plain(r) for r in result.refusals],
        "server_errors": [_plain(e) for e in result.server_errors[:10]],
        "lowered": _plain(", ".join(result.lowered_statements[:8])),
        "chart": timeline(result, verdict.targets.max_latency_ms),
        "stats": _stats_rows(stats),
        "migrations": migration_rows(result),
        "faults": fault_rows(result),
        "checks": [[c.name, c.status, _plain(c.detail)] for c in result.checks],
        "errors": [
            [e["count"], e["phase"], e["client_release"], e["operation"], _plain(e["error"])]
            for e in error_groups(result)[:50]
        ],
    }
    return _engine().get_template("report.html").render(Context(context))


def write_report(
    result: RehearsalResult, directory: Path, verdict: Verdict | None = None
) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.html`` into ``directory``; return their paths."""
    verdict = verdict or verdict_of(result)
    directory.mkdir(parents=True, exist_ok=True)
    json_path, html_path = directory / "report.json", directory / "report.html"
    json_path.write_text(json.dumps(to_json(result, verdict), indent=1, default=str))
    html_path.write_text(to_html(result, verdict))
    return json_path, html_path
