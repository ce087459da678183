"""The previous release's own code on the new schema: ``zdt check --since REF`` (git releases).

REF's models (``dump_release`` run in REF's worktree) are compared with the schema after every
migration of the working tree, and REF's code is run on that schema (``execute_release``). Only
the migrations added since REF (not in the baseline) can cause these findings; each finding's
release is the release that ships its migration.
"""

from __future__ import annotations

from dataclasses import replace

from zerodowntime.checks.baseline import Baseline
from zerodowntime.checks.compat import check_pair
from zerodowntime.checks.execution import execution_findings
from zerodowntime.checks.facts import WORKING_TREE, ChainCapture, ReleaseFacts
from zerodowntime.checks.findings import Finding


def check_since(chain: ChainCapture, older: ReleaseFacts, baseline: Baseline) -> list[Finding]:
    """Return the findings of ``older`` (REF's code) on the schema of the working tree."""
    after = chain.schemas.get(WORKING_TREE)
    if after is None:  # the chain stopped at a failing migration: ZDT100 names it
        return []
    added = [migration for migration in chain.migrations if not baseline.holds(migration.key)]
    owners = {migration.key: migration.release for migration in added}
    before = chain.schemas.get(older.version, {})
    findings = [
        replace(finding, release=owners.get(finding.migration or "", finding.release))
        for finding in check_pair(older, WORKING_TREE, before, after, added)
    ]
    if older.execution is not None:
        findings += execution_findings(older.execution, older.version, added)
    return findings
