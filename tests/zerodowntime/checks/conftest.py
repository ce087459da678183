"""Run the checks on a fixture app (``tests/zerodowntime/checks/fixtures``) or the project."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from zerodowntime.checks.facts import ChainCapture, ReleaseFacts
from zerodowntime.checks.findings import Finding
from zerodowntime.checks.runner import evaluate, gather

FIXTURE_SETTINGS = "tests.zerodowntime.checks.fixtures.settings"
Gathered = tuple[ChainCapture, dict[str, ReleaseFacts]]


@pytest.fixture
def unblocked_db(django_db_blocker: object) -> Iterator[None]:
    """Allow the scratch-database statements (CREATE/DROP DATABASE) the runner sends."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        yield


@pytest.fixture
def gather_fixture(
    unblocked_db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[..., Gathered]:
    """Return a function that gathers the facts of fixture app ``name`` in child processes."""

    def run(name: str, releases: list[str]) -> Gathered:
        monkeypatch.setenv("DJANGO_SETTINGS_MODULE", FIXTURE_SETTINGS)
        monkeypatch.setenv("ZDT_FIXTURE_APP", name)
        workdir = tmp_path / name
        workdir.mkdir()
        return gather(releases, workdir)

    return run


@pytest.fixture
def check_fixture(gather_fixture: Callable[..., Gathered]) -> Callable[..., list[Finding]]:
    """Return a function that returns the findings of fixture app ``name``."""

    def run(name: str, releases: list[str]) -> list[Finding]:
        chain, facts = gather_fixture(name, releases)
        return evaluate(chain, facts, None)

    return run


def rules_by_migration(findings: list[Finding]) -> set[tuple[str, str | None]]:
    """Return (rule, migration name) pairs of the blocking findings."""
    return {
        (f.rule, f.migration.split(".")[-1] if f.migration else None) for f in findings if f.blocks
    }
