"""The GraphQL API of release 0.1.0: queries, mutations, pagination and every bad input."""

from __future__ import annotations

import base64

import pytest

from catalog.models import Product
from tests.conftest import GraphQLClient, error_codes

pytestmark = [pytest.mark.django_db, pytest.mark.release("0.1.0")]

CREATE = """
mutation($name: String!, $description: JSON) {
  productCreate(name: $name, description: $description) {
    product { id name description created }
  }
}"""
UPDATE = """
mutation($id: ID!, $name: String, $description: JSON) {
  productUpdate(id: $id, name: $name, description: $description) { product { id name description } }
}"""
DELETE = "mutation($id: ID!) { productDelete(id: $id) { product { id name } } }"
GET = "query($id: ID!) { product(id: $id) { id name description created } }"
LIST = """
query($first: Int, $after: String) {
  products(first: $first, after: $after) {
    edges { cursor node { id name } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def global_id(type_name: str, pk: int | str) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def create(gql: GraphQLClient, name: str = "Lamp", **variables: object) -> dict:
    result = gql.execute(CREATE, {"name": name, **variables})
    assert "errors" not in result, result
    return result["data"]["productCreate"]["product"]


def test_create_returns_relay_id_of_product_pk(gql: GraphQLClient) -> None:
    product = create(gql, "Lamp", description={"color": "red"})
    row = Product.objects.get()
    assert product["id"] == global_id("Product", row.pk)
    assert base64.b64decode(product["id"]).decode() == f"Product:{row.pk}"
    assert row.description == {"color": "red"}
    assert product["created"] is not None


def test_description_is_optional(gql: GraphQLClient) -> None:
    product = create(gql, "No description")
    assert product["description"] is None
    assert Product.objects.get().description is None


def test_description_given_as_json_text_is_parsed(gql: GraphQLClient) -> None:
    create(gql, "Chair", description='{"legs": 4}')
    assert Product.objects.get().description == {"legs": 4}


def test_fetch_by_id_and_missing_product_is_null(gql: GraphQLClient) -> None:
    product = create(gql, "Żółta lampa ☃")
    fetched = gql.execute(GET, {"id": product["id"]})["data"]["product"]
    assert fetched["name"] == "Żółta lampa ☃"
    missing = gql.execute(GET, {"id": global_id("Product", 999_999)})
    assert missing == {"data": {"product": None}}


def test_update_changes_only_given_fields(gql: GraphQLClient) -> None:
    product = create(gql, "Desk", description={"wood": "oak"})
    result = gql.execute(UPDATE, {"id": product["id"], "name": "Big desk"})
    assert result["data"]["productUpdate"]["product"]["name"] == "Big desk"
    row = Product.objects.get()
    assert (row.name, row.description) == ("Big desk", {"wood": "oak"})
    gql.execute(UPDATE, {"id": product["id"], "description": None})
    assert Product.objects.get().description is None


def test_delete_returns_deleted_product_with_its_id(gql: GraphQLClient) -> None:
    product = create(gql, "Gone")
    result = gql.execute(DELETE, {"id": product["id"]})
    assert result["data"]["productDelete"]["product"] == {"id": product["id"], "name": "Gone"}
    assert not Product.objects.exists()


def test_pagination_walks_all_rows_in_pk_order(gql: GraphQLClient) -> None:
    Product.objects.bulk_create(Product(name=f"p{i}") for i in range(25))
    names, after, pages = [], None, 0
    while True:
        page = gql.execute(LIST, {"first": 10, "after": after})["data"]["products"]
        names += [edge["node"]["name"] for edge in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == [f"p{i}" for i in range(25)]
    assert pages == 3


def test_queries_are_public(anonymous_gql: GraphQLClient) -> None:
    result = anonymous_gql.execute(LIST, {"first": 1})
    assert result["data"]["products"]["edges"] == []


@pytest.mark.parametrize(
    ("token", "code"), [(None, "UNAUTHENTICATED"), ("zdt_wrong", "UNAUTHENTICATED")]
)
def test_mutations_need_a_valid_token(
    anonymous_gql: GraphQLClient, token: str | None, code: str
) -> None:
    anonymous_gql.token = token
    result = anonymous_gql.execute(CREATE, {"name": "Lamp"})
    assert error_codes(result) == [code]
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"name": ""}, "INVALID_NAME"),
        ({"name": "   "}, "INVALID_NAME"),
        ({"name": "x" * 251}, "INVALID_NAME"),
        ({"name": "ok", "description": "{not json"}, "INVALID_DESCRIPTION"),
    ],
)
def test_bad_create_input_is_refused_and_nothing_written(
    gql: GraphQLClient, variables: dict, code: str
) -> None:
    result = gql.execute(CREATE, variables)
    assert error_codes(result) == [code]
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("make_id", "code"),
    [
        (lambda pk: "not-an-id", "INVALID_ID"),
        (lambda pk: base64.b64encode(b"garbage").decode(), "INVALID_ID"),
        (lambda pk: global_id("Category", pk), "INVALID_ID"),
        (lambda pk: global_id("Product", pk + 1000), "NOT_FOUND"),
    ],
)
def test_bad_ids_in_update_and_delete(gql: GraphQLClient, make_id, code: str) -> None:
    product = create(gql, "Keep me")
    pk = Product.objects.get().pk
    for mutation, extra in ((UPDATE, {"name": "changed"}), (DELETE, {})):
        result = gql.execute(mutation, {"id": make_id(pk), **extra})
        assert error_codes(result) == [code]
    row = Product.objects.get()
    assert row.name == "Keep me" and product["name"] == "Keep me"


def test_bad_name_on_update_writes_nothing(gql: GraphQLClient) -> None:
    product = create(gql, "Stay")
    result = gql.execute(UPDATE, {"id": product["id"], "name": " ", "description": {"a": 1}})
    assert error_codes(result) == ["INVALID_NAME"]
    row = Product.objects.get()
    assert (row.name, row.description) == ("Stay", None)


def test_page_size_and_cursor_limits(gql: GraphQLClient) -> None:
    assert error_codes(gql.execute(LIST, {"first": 101})) == ["PAGE_TOO_LARGE"]
    assert error_codes(gql.execute(LIST, {"first": -1})) == ["INVALID_PAGE_SIZE"]
    assert error_codes(gql.execute(LIST, {"first": 1, "after": "nope"})) == ["INVALID_CURSOR"]


def test_query_depth_is_limited(gql: GraphQLClient, settings) -> None:
    from catalog.common.schema import build_schema
    from catalog.releases.v0_1_0.api import Mutation, Query

    nested = "{ products { edges { node { id } } } }"
    assert "errors" not in gql.execute(nested)
    settings.CATALOG_MAX_QUERY_DEPTH = 2
    result = build_schema(query=Query, mutation=Mutation).execute_sync(nested)
    assert result.errors and result.errors[0].extensions == {"code": "QUERY_TOO_COMPLEX"}
    assert "nested 3 levels deep" in result.errors[0].message


def test_graphiql_page_is_served_on_get(client) -> None:
    response = client.get("/graphql/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"graphiql" in response.content.lower()
