"""Classifying responses as docs/design.md §5 defines a failed request."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from zerodowntime import conf
from zerodowntime.rehearsal.scenario import graphql_outcome


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


def test_the_scenario_setting_must_name_a_scenario(settings: Any) -> None:
    assert conf.rehearsal_scenario().operations("0.1.0")
    settings.ZDT_REHEARSAL_SCENARIOS = "zerodowntime.conf.PREFIX"
    with pytest.raises(ImproperlyConfigured, match="is not a zerodowntime.rehearsal.scenario.Scen"):
        conf.rehearsal_scenario()
    settings.ZDT_REHEARSAL_SCENARIOS = "no.such.module.THING"
    with pytest.raises(ImproperlyConfigured, match="cannot import 'no.such.module.THING'"):
        conf.rehearsal_scenario()
