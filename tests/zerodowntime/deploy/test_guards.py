"""The release guards of migrate, rollback and a process's release (pure)."""

from __future__ import annotations

import pytest

from zerodowntime.deploy.guards import (
    ReleaseRefused,
    check_migration,
    check_process_release,
    check_rollback,
)

VERSIONS = ["1.0", "1.1", "2.0", "3.0"]


def test_migrate_moves_forward_one_release_at_a_time() -> None:
    assert check_migration(VERSIONS, current=None, target="3.0") == []
    assert check_migration(VERSIONS, current="1.0", target="1.1") == []
    assert check_migration(VERSIONS, current="1.1", target="1.1") == []
    with pytest.raises(ReleaseRefused, match=r"`zdt rollback --to 1.0`"):
        check_migration(VERSIONS, current="1.1", target="1.0")
    with pytest.raises(ReleaseRefused, match=r"1.0 -> 1.1 -> 2.0 \(next: `zdt upgrade --to 1.1`"):
        check_migration(VERSIONS, current="1.0", target="2.0")
    with pytest.raises(ReleaseRefused, match="roll every app server and worker to 1.1"):
        check_migration(VERSIONS, current="1.1", target="2.0", live_releases=["1.0"])


def test_allow_skip_lifts_the_skip_and_live_rules_but_never_goes_back() -> None:
    warnings = check_migration(
        VERSIONS, current="1.0", target="3.0", live_releases=["0.9", "1.0"], allow_skip=True
    )
    assert [w.split(":")[0] for w in warnings] == ["skipping 1.1, 2.0"]
    with pytest.raises(ReleaseRefused, match="never migrates backward"):
        check_migration(VERSIONS, current="2.0", target="1.0", allow_skip=True)


def test_rollback_goes_back_only_without_newer_live_processes() -> None:
    check_rollback(VERSIONS, current="2.0", target="1.0", live_releases=["1.0"])
    with pytest.raises(ReleaseRefused, match="live processes run release 1.1, newer than 1.0"):
        check_rollback(VERSIONS, current="1.1", target="1.0", live_releases=["1.1"])
    with pytest.raises(ReleaseRefused, match="nothing to roll back"):
        check_rollback(VERSIONS, current="1.0", target="1.1")
    with pytest.raises(ReleaseRefused, match="not at any release"):
        check_rollback(VERSIONS, current=None, target="1.0")


def test_a_process_runs_the_database_release_or_the_one_before() -> None:
    assert check_process_release(VERSIONS, database="1.1", requested=None) == "1.1"
    assert check_process_release(VERSIONS, database=None, requested=None) == "3.0"
    assert check_process_release(VERSIONS, database="2.0", requested="1.1") == "1.1"
    with pytest.raises(ReleaseRefused, match="newer than the database's 1.1"):
        check_process_release(VERSIONS, database="1.1", requested="2.0")
    with pytest.raises(ReleaseRefused, match="older than 1.1, the release before"):
        check_process_release(VERSIONS, database="2.0", requested="1.0")
    with pytest.raises(ReleaseRefused, match="unknown release"):
        check_process_release(VERSIONS, database="2.0", requested="9.9")
