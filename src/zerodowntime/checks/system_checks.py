"""``zdt check`` as a Django system check (``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.core import checks

from zerodowntime.checks.findings import Severity

TAG = "zerodowntime"


def zero_downtime_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Return one system-check message per unsilenced finding of ``zdt check``."""
    from zerodowntime.checks.runner import CheckError, configured_snapshot_dir, run_checks

    try:
        report = run_checks(snapshot_dir=configured_snapshot_dir())
    except CheckError as exc:
        return [checks.Error(f"zdt check could not run: {exc}", id="zerodowntime.E001")]
    level = {Severity.ERROR: checks.Error, Severity.WARNING: checks.Warning}
    messages: list[checks.CheckMessage] = []
    for finding in report.findings:
        kind = level.get(finding.severity, checks.Info)
        if finding.silenced is not None:
            continue
        messages.append(
            kind(
                f"{finding.rule} {finding.name}: {finding.message}",
                hint=finding.fix,
                obj=finding.migration
                or (f"release {finding.release}" if finding.release else None),
                id=f"zerodowntime.{finding.rule}",
            )
        )
    return messages


def register() -> None:
    """Register the check as a deploy check, so everyday commands stay fast."""
    checks.register(zero_downtime_check, TAG, deploy=True)
