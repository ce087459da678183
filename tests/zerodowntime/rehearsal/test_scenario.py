"""Classifying responses as DESIGN.md §5 defines a failed request."""

from __future__ import annotations

import pytest

from zerodowntime.rehearsal.scenario import ScenarioError, graphql_outcome, load_scenario


def test_only_http_200_with_data_and_no_unexpected_error_is_ok() -> None:
    assert graphql_outcome(200, {"data": {"x": 1}}).ok
    assert not graphql_outcome(500, {"data": {}}).ok
    assert graphql_outcome(502, None).error == "HTTP 502"
    assert not graphql_outcome(200, None).ok
    error = {"message": "Cannot query field 'created'", "extensions": {}}
    outcome = graphql_outcome(200, {"data": None, "errors": [error]})
    assert not outcome.ok and "Cannot query field 'created'" in (outcome.error or "")


def test_allowed_error_codes_are_not_failures() -> None:
    error = {"message": "gone", "extensions": {"code": "NOT_FOUND"}}
    body = {"data": {"p": None}, "errors": [error]}
    assert graphql_outcome(200, body, allowed_codes={"NOT_FOUND"}).ok
    assert not graphql_outcome(200, body).ok


def test_load_scenario_refuses_what_is_not_a_scenario() -> None:
    with pytest.raises(ScenarioError, match="not a rehearsal Scenario"):
        load_scenario("zerodowntime.rehearsal.scenario.SETTING")
    with pytest.raises(ScenarioError, match="cannot import"):
        load_scenario("no.such.module.THING")
    assert load_scenario().operations("0.1.0")
