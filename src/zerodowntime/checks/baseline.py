"""The baseline of ``zdt check --since REF``: migrations already at REF are not linted again.

A project enabling the check has years of migrations behind it; only those added since a ref
(present in the working tree, absent at the ref) can fail the check. Findings in the older ones
are kept as information. The default ref is the release the database is at, else the newest
release of ``ZDT_RELEASES_FROM_GIT``; without git releases every migration is linted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db import DatabaseError

from zerodowntime import conf
from zerodowntime.checks.findings import Finding, Severity


@dataclass(frozen=True)
class Baseline:
    """The migrations present at ``ref`` (``app_label.name``)."""

    ref: str
    migrations: frozenset[str]

    def holds(self, migration: str | None) -> bool:
        """Return True when ``migration`` was already at the ref."""
        return migration is not None and migration in self.migrations


def default_since() -> str | None:
    """Return the ref to lint from: the database's release, else the newest git release."""
    if conf.git_releases() is None:
        return None
    from zerodowntime.deploy.current import current_release

    manifest = conf.release_manifest()
    try:
        current = current_release(manifest)
    except DatabaseError:
        current = None  # no database to ask (CI): the newest release is the baseline
    return current or manifest.newest.version


def baseline_at(ref: str) -> Baseline:
    """Return the project apps' migrations present at ``ref`` in the project's git repository."""
    present = conf.git_source().migrations_at(ref)
    return Baseline(ref, frozenset(f"{app}.{name}" for app, name in present))


def apply_baseline(findings: Iterable[Finding], baseline: Baseline | None) -> list[Finding]:
    """Return ``findings`` with those of baseline migrations turned into information."""
    if baseline is None:
        return list(findings)
    return [
        replace(
            finding,
            severity=Severity.INFO,
            message=f"baseline, already at {baseline.ref}: {finding.message}",
        )
        if baseline.holds(finding.migration)
        else finding
        for finding in findings
    ]
