"""Findings: what a check reports, how severe it is, and how a migration silences it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad a finding is: only errors make ``zdt check`` fail."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Rule:
    """A rule: stable id, short name, default severity, the danger and the safe alternative."""

    id: str
    name: str
    severity: Severity
    why: str
    fix: str


@dataclass(frozen=True)
class TableSize:
    """How big a finding's table is in the database looked at, and what the statement costs.

    ``rows`` is None when the table is not in that database; ``seconds`` is None when the
    statement's cost does not grow with the table (catalog-only changes).
    """

    table: str
    rows: int | None
    table_bytes: int | None = None
    index_bytes: int | None = None
    seconds: float | None = None
    cost: str | None = None


@dataclass(frozen=True)
class Finding:
    """One rule violation, tied to a migration and statement (or a release pair) when known."""

    rule: str
    name: str
    severity: Severity
    message: str
    fix: str
    migration: str | None = None
    statement: str | None = None
    release: str | None = None
    silenced: str | None = None
    size: TableSize | None = None  # with `zdt check --database-url`

    @property
    def blocks(self) -> bool:
        """Return True when the finding makes the check fail (an unsilenced error)."""
        return self.severity is Severity.ERROR and self.silenced is None

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as a JSON-ready dict."""
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


def make_finding(
    rule: Rule,
    message: str,
    *,
    migration: str | None = None,
    statement: str | None = None,
    release: str | None = None,
) -> Finding:
    """Return a finding of ``rule`` whose message is ``message`` followed by the rule's why."""
    return Finding(
        rule=rule.id,
        name=rule.name,
        severity=rule.severity,
        message=f"{message}: {rule.why}",
        fix=rule.fix,
        migration=migration,
        statement=statement,
        release=release,
    )


def apply_silences(
    findings: Iterable[Finding], silences: Mapping[str, Mapping[str, str]]
) -> list[Finding]:
    """Return ``findings`` with those a migration silences marked with the migration's reason.

    ``silences`` maps ``app_label.migration_name`` to the migration's ``zdt_silence`` dict
    (rule id -> reason).
    """
    result = []
    for finding in findings:
        reason = silences.get(finding.migration or "", {}).get(finding.rule)
        result.append(replace(finding, silenced=reason) if reason else finding)
    return result
