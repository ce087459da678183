"""Each rule fires on its bad flow and stays quiet on the good ones (real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.zerodowntime.checks.conftest import rules_by_migration
from zerodowntime.checks.findings import Finding

Check = Callable[..., list[Finding]]


def test_good_expand_contract_flow_has_no_finding(check_fixture: Check) -> None:
    findings = check_fixture("good_flow_expand_contract", ["1", "2", "3", "4"])
    assert findings == []


def test_silenced_finding_is_kept_with_its_reason_and_does_not_block(check_fixture: Check) -> None:
    [finding] = check_fixture("good_flow_silenced", ["1"])
    assert finding.rule == "ZDT101"
    assert finding.silenced == "item holds a handful of rows; the build takes milliseconds"
    assert not finding.blocks


@pytest.mark.parametrize(
    ("fixture", "releases", "expected"),
    [
        (
            "bad_flow_alter_unique_not_null",
            ["1", "2"],
            {
                ("ZDT204", "0003_slug_unique_not_null"),
                ("ZDT202", "0003_slug_unique_not_null"),
                ("ZDT108", "0003_slug_unique_not_null"),
            },
        ),
        (
            "bad_flow_rename_field",
            ["1", "2"],
            {("ZDT105", "0002_rename_created"), ("ZDT201", "0002_rename_created")},
        ),
        (
            "bad_flow_add_index",
            ["1", "2"],
            {("ZDT108", "0002_add_index"), ("ZDT101", "0003_raw_index")},
        ),
        (
            "bad_flow_drop_created_early",
            ["1", "2"],
            {("ZDT201", "0003_remove_created")},
        ),
        (
            "bad_flow_unsafe_sql",
            ["1", "2"],
            {
                ("ZDT103", "0002_not_null_raw"),
                ("ZDT102", "0003_unique_raw"),
                ("ZDT104", "0004_add_column_not_null"),
                ("ZDT106", "0005_shrink_name"),
                ("ZDT203", "0005_shrink_name"),
                ("ZDT109", "0006_check_validated"),
                ("ZDT107", "0007_data_and_schema"),
            },
        ),
        ("bad_flow_no_lock_timeout", ["1"], {("ZDT110", "0002_add_column")}),
    ],
)
def test_bad_flow_is_caught(
    check_fixture: Check, fixture: str, releases: list[str], expected: set[tuple[str, str]]
) -> None:
    found = rules_by_migration(check_fixture(fixture, releases))
    assert expected <= found, f"missing: {expected - found}"


def test_rename_is_caught_from_the_sql_the_refusing_editor_would_run(check_fixture: Check) -> None:
    findings = check_fixture("bad_flow_rename_field", ["1", "2"])
    rename = next(f for f in findings if f.rule == "ZDT105")
    assert rename.statement == "ALTER TABLE item RENAME COLUMN created TO created_at"
    assert "ZDT199" not in {f.rule for f in findings}


def test_graphql_removal_needs_a_deprecation_first(check_fixture: Check) -> None:
    assert [f for f in check_fixture("good_flow_graphql_deprecated", ["1", "2"]) if f.blocks] == []
    breaking = [f for f in check_fixture("bad_flow_graphql_removed", ["1", "2"]) if f.blocks]
    assert sorted(f.message.split(" (")[0] for f in breaking) == [
        "Argument Query.item(locale:) was removed",
        "Field Item.created was removed",
    ]
    assert {f.rule for f in breaking} == {"ZDT301"}


def test_post_migrate_is_sent_once_after_the_whole_chain(
    check_fixture: Check, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """As ``manage.py migrate`` sends it: the handler reads a table of the last migration."""
    log = tmp_path / "signals.log"
    monkeypatch.setenv("ZDT_FIXTURE_SIGNAL_LOG", str(log))
    assert check_fixture("good_flow_post_migrate", ["1"]) == []
    assert log.read_text() == "post_migrate\n"
