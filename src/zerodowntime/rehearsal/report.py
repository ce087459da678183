"""Write a rehearsal's report: JSON with every measurement and a self-contained HTML page.

The HTML page draws the latency timeline as inline SVG (phases shaded, failures in red, lock
waits in orange) and loads nothing from anywhere: no scripts, styles or fonts from outside.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from html import escape
from pathlib import Path
from typing import Any

from zerodowntime.rehearsal.orchestrator import RehearsalResult
from zerodowntime.rehearsal.summary import PhaseStats, phase_stats

WIDTH, HEIGHT = 1100, 400
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 52, 40
MAX_OK_POINTS = 20_000
SCHEME = re.compile(r"https?://", re.IGNORECASE)


def _plain(text: object) -> str:
    """Return ``text`` HTML-escaped, with URL schemes removed (the page names no URL)."""
    return escape(SCHEME.sub("", str(text)))


def error_groups(result: RehearsalResult) -> list[dict[str, Any]]:
    """Return the distinct errors clients got, most frequent first."""
    counts: Counter[tuple[str, str, str, str]] = Counter(
        (r.phase, r.client_release, r.operation, r.error or "") for r in result.failed
    )
    return [
        {"phase": p, "client_release": c, "operation": o, "error": e, "count": n}
        for (p, c, o, e), n in counts.most_common()
    ]


def to_json(result: RehearsalResult) -> dict[str, Any]:
    """Return the whole result as JSON-ready data."""
    stats = phase_stats(result.phases, result.records, result.lock_samples)
    config = asdict(result.config)
    config["workdir"] = str(result.config.workdir)
    config.pop("server_url", None)
    config.pop("redis_url", None)
    return {
        "started_at": result.started_at,
        "config": config,
        "skip": result.skip,
        "passed": result.passed,
        "refusals": result.refusals,
        "seconds": result.seconds,
        "phases": [asdict(p) for p in result.phases],
        "summary": [s.as_dict() for s in stats],
        "integrity": [asdict(c) for c in result.checks],
        "background_migrations": [asdict(b) for b in result.background],
        "errors": error_groups(result),
        "lock_samples": [asdict(s) for s in result.lock_samples],
        "requests": [dict(asdict(r), latency=round(r.latency, 6)) for r in result.records],
    }


class _Scale:
    def __init__(self, duration: float, top_ms: float) -> None:
        self.duration = max(duration, 1e-3)
        self.top = math.log10(max(top_ms, 10.0))

    def x(self, seconds: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * min(max(seconds / self.duration, 0.0), 1.0)

    def y(self, ms: float) -> float:
        share = min(max(math.log10(max(ms, 1.0)) / self.top, 0.0), 1.0)
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * share


def timeline_svg(result: RehearsalResult) -> str:
    """Return the latency timeline as an inline ``<svg>`` element."""
    records = result.records
    duration = max([p.ended or p.started for p in result.phases] + [r.finished for r in records])
    top_ms = max([r.latency * 1000 for r in records] + [1000.0])
    scale = _Scale(duration, top_ms)
    parts = [f'<svg width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="latency timeline">']
    for number, phase in enumerate(result.phases):
        x1, x2 = scale.x(phase.started), scale.x(phase.ended or duration)
        fill = "#eef3fb" if number % 2 == 0 else "#f7f7f7"
        parts.append(
            f'<rect x="{x1:.1f}" y="{TOP}" width="{max(x2 - x1, 0.5):.1f}"'
            f' height="{HEIGHT - TOP - BOTTOM}" fill="{fill}"><title>{_plain(phase.name)}'
            f"</title></rect>"
            f'<text x="{x1 + 2:.1f}" y="{TOP - 4 - 11 * (number % 4)}" font-size="10">'
            f"{_plain(phase.name)}</text>"
        )
    for ms in (1, 10, 100, 1000, 10000):
        if math.log10(ms) <= scale.top:
            y = scale.y(ms)
            parts.append(
                f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc"/>'
                f'<text x="{LEFT - 6}" y="{y + 3:.1f}" font-size="10" text-anchor="end">'
                f"{ms} ms</text>"
            )
    ok = [r for r in records if r.ok]
    stride = max(1, math.ceil(len(ok) / MAX_OK_POINTS))
    for r in ok[::stride]:
        parts.append(
            f'<circle cx="{scale.x(r.scheduled):.1f}" cy="{scale.y(r.latency * 1000):.1f}"'
            ' r="1.3" fill="#4a78b5" fill-opacity="0.5"/>'
        )
    for r in result.failed:
        x, y = scale.x(r.scheduled), scale.y(r.latency * 1000)
        parts.append(
            f'<path d="M{x - 3:.1f},{y - 3:.1f}L{x + 3:.1f},{y + 3:.1f}M{x - 3:.1f},{y + 3:.1f}'
            f'L{x + 3:.1f},{y - 3:.1f}" stroke="#d62728" stroke-width="1.5">'
            f"<title>{_plain(r.operation)}: {_plain(r.error)}</title></path>"
        )
    if result.lock_samples:
        for s in result.lock_samples:
            parts.append(
                f'<rect x="{scale.x(s.at) - 1:.1f}" y="{scale.y(s.longest_wait * 1000) - 1:.1f}"'
                ' width="3" height="3" fill="#ff7f0e">'
                f"<title>lock wait {s.longest_wait * 1000:.0f} ms: {_plain(s.query)}</title></rect>"
            )
    parts.append(
        f'<text x="{WIDTH / 2:.0f}" y="{HEIGHT - 8}" font-size="11" text-anchor="middle">'
        "seconds since start (x) / latency from scheduled send time, log scale (y)</text>"
    )
    for number, (label, colour) in enumerate(
        (("ok request", "#4a78b5"), ("failed request", "#d62728"), ("lock wait", "#ff7f0e"))
    ):
        x = WIDTH - RIGHT - 330 + 110 * number
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 24}" width="8" height="8" fill="{colour}"/>'
            f'<text x="{x + 12}" y="{HEIGHT - 16}" font-size="10">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(headers: list[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{_plain(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_plain(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _stats_rows(stats: list[PhaseStats]) -> list[list[object]]:
    return [
        [s.name, f"{s.seconds:.1f}", s.requests, s.failed, f"{s.p50 * 1000:.0f}",
         f"{s.p95 * 1000:.0f}", f"{s.p99 * 1000:.0f}", f"{s.max * 1000:.0f}",
         f"{s.longest_lock_wait * 1000:.0f}"]
        for s in stats
    ]  # fmt: skip


def to_html(result: RehearsalResult) -> str:
    """Return the self-contained HTML report."""
    stats = phase_stats(result.phases, result.records, result.lock_samples)
    config = result.config
    verdict = "PASSED" if result.passed else "FAILED"
    kind = "skip path (failures expected)" if result.skip else "one release at a time"
    checks = [[c.name, c.status, c.detail] for c in result.checks]
    errors = [[e["count"], e["phase"], e["client_release"], e["operation"], e["error"]]
              for e in error_groups(result)[:50]]  # fmt: skip
    migrations = [
        [p.name, p.detail.get("migration_seconds", p.detail.get("background_seconds", ""))]
        for p in result.phases
        if p.kind in ("migrate", "background")
    ]
    style = (
        "body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;"
        "margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;"
        "text-align:right}td:first-child,th:first-child{text-align:left}"
        ".passed{color:#2a7a2a}.failed{color:#d62728}"
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>zdt rehearsal {_plain(' -> '.join(config.path))}</title>",
            f"<style>{style}</style></head><body>",
            f"<h1>Rehearsal {_plain(' → '.join(config.path))}: "
            f'<span class="{verdict.lower()}">{verdict}</span></h1>',
            f"<p>{_plain(kind)}; {config.rows} rows, {config.rate:g} requests/s,"
            f" {config.phase_seconds:g} s per phase; started {_plain(result.started_at)},"
            f" {len(result.records)} requests, {len(result.failed)} failed.</p>",
            "".join(
                f'<p class="failed">Migration refused by a guard: {_plain(refusal)}</p>'
                for refusal in result.refusals
            ),
            timeline_svg(result),
            "<h2>Phases</h2>",
            _table(
                [
                    "phase",
                    "s",
                    "requests",
                    "failed",
                    "p50 ms",
                    "p95 ms",
                    "p99 ms",
                    "max ms",
                    "lock wait ms",
                ],
                _stats_rows(stats),
            ),  # fmt: skip
            "<h2>Migrations and background migrations (s)</h2>",
            _table(["phase", "seconds"], migrations),
            "<h2>Integrity</h2>",
            _table(["check", "status", "detail"], checks),
            "<h2>Errors clients got</h2>",
            _table(["count", "phase", "client release", "operation", "error"], errors)
            if errors
            else "<p>None.</p>",
            "</body></html>",
        ]
    )


def write_report(result: RehearsalResult, directory: Path) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.html`` into ``directory``; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, html_path = directory / "report.json", directory / "report.html"
    json_path.write_text(json.dumps(to_json(result), indent=1, default=str))
    html_path.write_text(to_html(result))
    return json_path, html_path
