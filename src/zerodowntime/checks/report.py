"""Render a check report as readable text or JSON."""

from __future__ import annotations

import json

from zerodowntime.checks.costs import MB
from zerodowntime.checks.findings import Finding, Severity, TableSize
from zerodowntime.checks.runner import Report


def _where(finding: Finding) -> str:
    parts = []
    if finding.migration:
        parts.append(finding.migration)
    if finding.release:
        parts.append(f"release {finding.release}")
    return f" [{', '.join(parts)}]" if parts else ""


def _size(size: TableSize) -> str:
    if size.rows is None:
        return f"        table: {size.table}, {size.cost}"
    indexes = f" + {(size.index_bytes or 0) / MB:,.0f} MB of indexes" if size.index_bytes else ""
    return (
        f"        table: {size.table}, {size.rows:,} rows, {(size.table_bytes or 0) / MB:,.0f} MB"
        f"{indexes}; {size.cost}"
    )


def format_finding(finding: Finding) -> str:
    """Return a finding as a few indented lines."""
    lines = [f"{finding.severity.value.upper():<7} {finding.rule} {finding.name}{_where(finding)}"]
    lines.append(f"        {finding.message}")
    if finding.statement:
        lines.append(f"        sql: {finding.statement}")
    if finding.size:
        lines.append(_size(finding.size))
    lines.append(f"        fix: {finding.fix}")
    if finding.silenced:
        lines.append(f"        silenced by the migration: {finding.silenced}")
    return "\n".join(lines)


def format_text(report: Report) -> str:
    """Return the whole report as text, findings first and a one-line summary last."""
    blocks = [format_finding(finding) for finding in report.findings]
    blocks += [f"snapshot written: {path}" for path in report.snapshots_written]
    silenced = sum(1 for finding in report.findings if finding.silenced)
    summary = (
        f"{'FAILED' if report.failed else 'OK'}: {report.count(Severity.ERROR)} error(s), "
        f"{report.count(Severity.WARNING)} warning(s), {silenced} silenced; checked "
        f"{len(report.migrations)} migration(s) of {len(report.releases)} release(s)"
    )
    if report.since is not None:
        summary += (
            f"; {len(report.migrations) - len(report.baseline)} added since {report.since},"
            f" {len(report.baseline)} baseline (information only)"
        )
    if report.table_sizes_from is not None:
        summary += f"; table sizes from {report.table_sizes_from}"
    return "\n".join([*blocks, summary])


def format_json(report: Report) -> str:
    """Return the report as indented JSON."""
    return json.dumps(report.to_dict(), indent=2)
