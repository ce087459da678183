"""The demo's examples: built from each release's schema, valid on it, and working on a server."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse, validate

from catalog.examples import ExampleError, build_examples, check, release_schema
from catalog.releases.manifest import MANIFEST


@pytest.mark.parametrize("release", MANIFEST.versions)
def test_every_example_is_valid_on_its_release_and_avoids_deprecated_fields(release: str) -> None:
    schema = release_schema(release)
    examples = build_examples(schema)
    for example in examples:
        assert validate(schema, parse(example.query)) == [], example.query
    create = next(e for e in examples if e.keeps_id)
    expected = {"0.1.0": " created ", "0.1.1": " slug ", "0.2.0": " createdAt ", "0.3.0": " slug "}
    assert expected[release] in create.query
    if release >= "0.2.0":
        assert " created " not in create.query, "a deprecated field in an example"


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
def test_check_runs_the_examples_and_names_one_that_fails(live_server: Any, api_token: str) -> None:
    from django.conf import settings

    url = live_server.url.replace("localhost", "127.0.0.1") + "/graphql/"
    examples = build_examples(release_schema(settings.ZDT_RELEASE))
    check(examples, url=url, token=api_token)
    older = build_examples(release_schema(MANIFEST.versions[0]))
    if MANIFEST.versions[-1] == settings.ZDT_RELEASE:
        with pytest.raises(ExampleError, match="the example 'create"):
            check(older, url=url, token=api_token)  # 0.1.0's `created` is gone in the newest
    with pytest.raises(ExampleError, match="the example 'create.*not valid"):
        check(examples, url=url, token="wrong-token")
