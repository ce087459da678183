"""The GraphQL API of release 0.3.0: slugs, isPublished, createdAt; `created` is gone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import Product
from catalog.releases.v0_3_0.models import SlugCounter
from tests.conftest import GraphQLClient, error_codes

pytestmark = [pytest.mark.django_db, pytest.mark.release("0.3.0")]

FIELDS = "id name slug isPublished createdAt description"
CREATE = f"""
mutation($name: String!, $slug: String, $isPublished: Boolean) {{
  productCreate(name: $name, slug: $slug, isPublished: $isPublished) {{ product {{ {FIELDS} }} }}
}}"""
UPDATE = f"""
mutation($id: ID!, $slug: String, $isPublished: Boolean) {{
  productUpdate(id: $id, slug: $slug, isPublished: $isPublished) {{ product {{ {FIELDS} }} }}
}}"""
LIST = """
query($published: Boolean) {
  products(first: 10, isPublished: $published) { edges { node { name isPublished } } }
}"""


def create(gql: GraphQLClient, **variables: object) -> dict:
    result = gql.execute(CREATE, {"name": "Lamp", **variables})
    assert "errors" not in result, result
    return result["data"]["productCreate"]["product"]


def test_create_makes_a_slug_and_defaults_to_published(gql: GraphQLClient) -> None:
    first, second = create(gql), create(gql)
    assert (first["slug"], second["slug"]) == ("lamp", "lamp-2")
    assert first["isPublished"] is True
    assert first["createdAt"] is not None
    assert Product.objects.get(slug="lamp").is_published is True


def test_explicit_slug_and_unpublished(gql: GraphQLClient) -> None:
    product = create(gql, slug="my-lamp", isPublished=False)
    assert (product["slug"], product["isPublished"]) == ("my-lamp", False)


def test_taken_and_invalid_slugs_are_refused_without_writing(gql: GraphQLClient) -> None:
    create(gql, slug="taken")
    assert error_codes(gql.execute(CREATE, {"name": "Other", "slug": "taken"})) == ["SLUG_TAKEN"]
    assert error_codes(gql.execute(CREATE, {"name": "Other", "slug": "Not A Slug"})) == [
        "INVALID_SLUG"
    ]
    assert Product.objects.count() == 1


def test_update_to_a_taken_slug_changes_nothing(gql: GraphQLClient) -> None:
    create(gql, slug="one")
    two = create(gql, slug="two")
    result = gql.execute(UPDATE, {"id": two["id"], "slug": "one", "isPublished": False})
    assert error_codes(result) == ["SLUG_TAKEN"]
    row = Product.objects.get(slug="two")
    assert row.is_published is True


def test_products_filter_by_is_published(gql: GraphQLClient) -> None:
    create(gql, name="Shown")
    create(gql, name="Hidden", isPublished=False)
    names = lambda published: [  # noqa: E731
        edge["node"]["name"]
        for edge in gql.execute(LIST, {"published": published})["data"]["products"]["edges"]
    ]
    assert names(True) == ["Shown"]
    assert names(False) == ["Hidden"]
    assert names(None) == ["Shown", "Hidden"]


def test_created_field_is_removed(gql: GraphQLClient) -> None:
    product = create(gql)
    result = gql.execute("query($id: ID!) { product(id: $id) { created } }", {"id": product["id"]})
    assert "Cannot query field 'created'" in result["errors"][0]["message"]


def test_client_errors_are_not_logged_as_server_errors(gql: GraphQLClient, caplog) -> None:
    assert error_codes(gql.execute(CREATE, {"name": " "})) == ["INVALID_NAME"]
    assert not [record for record in caplog.records if record.name == "strawberry.execution"]


def test_unexpected_errors_are_masked_logged_and_answered_with_200(
    gql: GraphQLClient, caplog, monkeypatch
) -> None:
    from catalog.releases.v0_3_0 import services

    def broken(**kwargs: object) -> None:
        raise RuntimeError("database exploded: secret detail")

    monkeypatch.setattr(services, "product_create", broken)
    result = gql.execute(CREATE, {"name": "Lamp"})
    assert [error["message"] for error in result["errors"]] == ["Internal error."]
    assert "secret detail" not in str(result)
    logged = [r for r in caplog.records if r.name == "strawberry.execution"]
    assert logged and "database exploded" in str(logged[0].msg)


def statements(gql: GraphQLClient, **variables: object) -> list[str]:
    """Return the SQL a create runs, without the savepoint that stands for its transaction."""
    with CaptureQueriesContext(connection) as captured:
        create(gql, **variables)
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_a_create_is_one_statement_with_its_token_check(gql: GraphQLClient) -> None:
    generated = statements(gql)
    assert len(generated) == 1 and "tokens_apitoken" in generated[0]
    assert Product.objects.get().slug == "lamp"
    explicit = statements(gql, slug="my-lamp")
    assert len(explicit) == 1 and "tokens_apitoken" in explicit[0]


INFINITE = 'mutation { productCreate(name: "Lamp", description: 1e999) { product { id } } }'


@pytest.mark.parametrize("token", [None, "zdt_wrong"])
@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (CREATE, {"name": "Lamp"}),
        (CREATE, {"name": "Lamp", "slug": "lamp"}),
        (CREATE, {"name": " "}),  # INVALID_NAME with a valid token
        (CREATE, {"name": "Lamp", "slug": "Not A Slug"}),  # INVALID_SLUG
        (INFINITE, {}),  # INVALID_DESCRIPTION
    ],
)
def test_a_create_without_a_valid_token_writes_nothing_whatever_its_input(
    db: None, token: str | None, query: str, variables: dict
) -> None:
    """A token that is not valid is the answer even to bad input, as when it was checked first."""
    result = GraphQLClient(Client(), token).execute(query, variables)
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert result["data"] is None
    assert not Product.objects.exists()
    assert not SlugCounter.objects.exists()  # no slug number reserved either


def test_a_generated_slug_that_a_product_has_already_takes_the_next_number(
    gql: GraphQLClient,
) -> None:
    Product.objects.create(name="Manual", slug="lamp")
    Product.objects.create(name="Manual", slug="lamp-2")
    assert create(gql)["slug"] == "lamp-3"
    assert list(SlugCounter.objects.values_list("base", "last")) == [("lamp", 3)]


def transactions_around_writes(gql: GraphQLClient, query: str) -> list[bool]:
    """Return, for each product insert of ``query``, whether a transaction was open around it."""
    seen: list[bool] = []

    def record(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        if "INSERT INTO" in sql:
            seen.append(not connection.get_autocommit())
        return execute(sql, *args)

    with connection.execute_wrapper(record):
        result = gql.execute(query)
    assert "errors" not in result, result
    return seen


@pytest.mark.django_db(transaction=True)
def test_a_lone_create_is_its_own_transaction_and_two_share_one(gql: GraphQLClient) -> None:
    """One statement needs no BEGIN and COMMIT; a request of two mutations stays all or nothing."""
    lone = 'mutation { productCreate(name: "Lamp") { product { id slug } } }'
    assert transactions_around_writes(gql, lone) == [False]
    two = """mutation {
      a: productCreate(name: "One") { product { id } }
      b: productCreate(name: "Two") { product { id } }
    }"""
    assert transactions_around_writes(gql, two) == [True, True]
    assert Product.objects.count() == 3
