"""API tokens: only the token handed out is valid, and only while it is stored."""

from __future__ import annotations

import pytest

from catalog.tokens.models import ApiToken
from catalog.tokens.services import token_create, token_is_valid


@pytest.mark.django_db
def test_only_the_token_handed_out_is_valid_while_it_is_stored() -> None:
    token = token_create(name="test")
    assert token_is_valid(token=token)
    assert not token_is_valid(token=token + "x")
    assert not token_is_valid(token=token[:-1])
    assert not token_is_valid(token="")
    ApiToken.objects.all().delete()
    assert not token_is_valid(token=token)


@pytest.mark.django_db
def test_a_token_check_is_one_statement(django_assert_num_queries) -> None:
    token = token_create(name="test")
    with django_assert_num_queries(1):
        assert token_is_valid(token=token)
