"""The upgrade plan: one release at a time, refusals that name the way forward."""

from __future__ import annotations

import pytest

from zerodowntime.deploy.plan import Action, PlanError, plan_upgrade

VERSIONS = ["0.1.0", "0.1.1", "0.2.0", "0.3.0"]


def test_next_release_gets_the_whole_procedure_in_order() -> None:
    plan = plan_upgrade(VERSIONS, current="0.1.0", target="0.1.1", live_releases=["0.1.0"])
    assert [step.action for step in plan.steps] == [
        Action.STOP_WORKERS,
        Action.MIGRATE,
        Action.START_WORKERS,
        Action.WAIT_BACKGROUND,
        Action.ROLL_APP_SERVERS,
    ]
    assert {step.release for step in plan.steps} == {"0.1.1"}
    assert plan.skipped == () and plan.warnings == ()


def test_jump_is_refused_and_the_message_names_the_path() -> None:
    with pytest.raises(PlanError) as error:
        plan_upgrade(VERSIONS, current="0.1.0", target="0.3.0")
    message = str(error.value)
    assert "0.1.0 -> 0.1.1 -> 0.2.0 -> 0.3.0" in message
    assert "next: upgrade to 0.1.1" in message


def test_live_process_older_than_the_database_blocks_the_upgrade() -> None:
    with pytest.raises(PlanError, match="live processes still run release 0.1.0"):
        plan_upgrade(VERSIONS, current="0.1.1", target="0.2.0", live_releases=["0.1.1", "0.1.0"])


def test_live_processes_at_the_current_release_are_fine() -> None:
    plan = plan_upgrade(VERSIONS, current="0.1.1", target="0.2.0", live_releases=["0.1.1"] * 3)
    assert plan.target == "0.2.0" and len(plan.steps) == len(Action)


def test_allow_skip_jumps_and_says_what_it_skipped() -> None:
    plan = plan_upgrade(
        VERSIONS, current="0.1.0", target="0.3.0", live_releases=["0.1.0"], allow_skip=True
    )
    assert plan.skipped == ("0.1.1", "0.2.0")
    assert [s.release for s in plan.steps if s.action is Action.MIGRATE] == ["0.3.0"]
    assert any("skipping 0.1.1, 0.2.0" in w for w in plan.warnings)


def test_allow_skip_also_lifts_the_old_process_rule_with_a_warning() -> None:
    plan = plan_upgrade(
        VERSIONS, current="0.1.1", target="0.2.0", live_releases=["0.1.0"], allow_skip=True
    )
    assert any("0.1.0" in w for w in plan.warnings)


def test_fresh_database_is_installed_at_the_target() -> None:
    plan = plan_upgrade(VERSIONS, current=None, target="0.3.0")
    assert [(s.action, s.release) for s in plan.steps] == [(Action.MIGRATE, "0.3.0")]


def test_already_there_is_a_noop_and_going_back_is_refused() -> None:
    assert plan_upgrade(VERSIONS, current="0.2.0", target="0.2.0").is_noop
    with pytest.raises(PlanError, match="only move forward"):
        plan_upgrade(VERSIONS, current="0.2.0", target="0.1.1")
    with pytest.raises(PlanError, match="unknown release"):
        plan_upgrade(VERSIONS, current="0.1.0", target="9.9.9")
