"""The project's own releases pass, and each release's SDL matches its committed snapshot."""

from __future__ import annotations

from zerodowntime.checks.runner import configured_snapshot_dir, run_checks


def test_project_releases_pass_and_snapshots_are_current(unblocked_db: None) -> None:
    report = run_checks(snapshot_dir=configured_snapshot_dir())
    blocking = [f"{f.rule} {f.migration or f.release}: {f.message}" for f in report.findings]
    assert not report.failed, "\n".join(blocking)
    assert "ZDT303" not in {finding.rule for finding in report.findings}
    assert report.migrations, "no migration of the release app was checked"
