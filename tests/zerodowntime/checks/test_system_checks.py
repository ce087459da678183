"""The Django system check turns blocking findings into errors with ids."""

from __future__ import annotations

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from zerodowntime.checks import runner, system_checks
from zerodowntime.checks.findings import Finding, Severity


def _report(*findings: Finding) -> runner.Report:
    return runner.Report(findings=list(findings), releases=["1"], migrations=["app.0002"])


def _finding(severity: Severity, silenced: str | None = None) -> Finding:
    return Finding(
        "ZDT101", "index-not-concurrent", severity, "m", "f", "app.0002", silenced=silenced
    )


def test_blocking_finding_fails_manage_py_check_deploy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "run_checks", lambda **_: _report(_finding(Severity.ERROR)))
    [message] = system_checks.zero_downtime_check()
    assert isinstance(message, checks.Error) and message.id == "zerodowntime.ZDT101"
    assert message.obj == "app.0002"
    with pytest.raises(SystemCheckError, match="zerodowntime.ZDT101"):
        call_command("check", "--deploy", "--tag", system_checks.TAG)


def test_silenced_and_non_error_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    report = _report(_finding(Severity.ERROR, silenced="why"), _finding(Severity.WARNING))
    monkeypatch.setattr(runner, "run_checks", lambda **_: report)
    assert [type(m) for m in system_checks.zero_downtime_check()] == [checks.Warning]


def test_not_run_by_everyday_commands() -> None:
    registered = checks.registry.registry
    assert system_checks.zero_downtime_check not in registered.get_checks(
        include_deployment_checks=False
    )
    assert system_checks.zero_downtime_check in registered.get_checks(
        include_deployment_checks=True
    )
