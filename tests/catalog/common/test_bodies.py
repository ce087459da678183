"""Every malformed HTTP request gets a JSON answer with a code, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.catalog.common.attacks import Sent

pytestmark = pytest.mark.django_db


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ('"hello"', 400, "INVALID_BODY"),
        ("42", 400, "INVALID_BODY"),
        ("null", 400, "INVALID_BODY"),
        (b'{"query": "{ __typename }", "x": "\xff\xfe"}', 400, "INVALID_BODY"),
        ('{"query": "{ __typename }"', 400, "INVALID_BODY"),
        (
            '{"query": "{ __typename }", "variables": {"v": ' + nested(5000) + "}}",
            400,
            "INVALID_BODY",
        ),
        (
            '{"query": "{ __typename }", "variables": {"v": ' + nested(40) + "}}",
            400,
            "INVALID_BODY",
        ),
        ('{"query": "{ __typename }", "variables": {"v": NaN}}', 400, "INVALID_BODY"),
        ('{"query": "{ __typename }", "variables": {"v": -Infinity}}', 400, "INVALID_BODY"),
        ('[{"query": "{ __typename }"}]', 400, "INVALID_BODY"),
        ('{"query": 42}', 400, "BAD_REQUEST"),
        ('{"query": "{ __typename }", "operationName": 7}', 400, "BAD_REQUEST"),
        ('{"query": "{ __typename }", "variables": [1]}', 400, "BAD_REQUEST"),
        ("{}", 400, "BAD_REQUEST"),
        (
            '{"query": "query A { __typename } query B { __typename }", "operationName": "C"}',
            400,
            "BAD_REQUEST",
        ),
    ],
)
def test_malformed_bodies_get_a_json_error_with_a_code(
    body: str | bytes, status: int, code: str
) -> None:
    sent = Sent(Client(), body)
    assert sent.response.status_code == status, sent.response.content[:200]
    assert sent.response["Content-Type"] == "application/json"
    assert sent.codes == [code]


def test_an_oversized_body_is_refused_before_it_is_read() -> None:
    sent = Sent(Client(), json.dumps({"query": "{ __typename }", "pad": "x" * 70_000}))
    assert sent.response.status_code == 413
    assert sent.codes == ["BODY_TOO_LARGE"]


def test_other_content_types_and_methods() -> None:
    client = Client()
    text = client.post("/graphql/", "{ __typename }", content_type="text/plain")
    assert (text.status_code, text.json()["errors"][0]["extensions"]["code"]) == (
        400,
        "BAD_REQUEST",
    )
    put = client.put("/graphql/", "{}", content_type="application/json")
    assert (put.status_code, put.json()["errors"][0]["extensions"]["code"]) == (
        405,
        "METHOD_NOT_ALLOWED",
    )
    mutation = client.get(
        "/graphql/", {"query": 'mutation { productDelete(id: "x") { product { id } } }'}
    )
    assert (mutation.status_code, mutation.json()["errors"][0]["extensions"]["code"]) == (
        400,
        "BAD_REQUEST",
    )
    variables = client.get("/graphql/", {"query": "{ __typename }", "variables": "{nope"})
    assert (variables.status_code, variables.json()["errors"][0]["extensions"]["code"]) == (
        400,
        "INVALID_BODY",
    )


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ products(", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("query($n: Int) { products(first: $n) { pageInfo { hasNextPage } } }", "BAD_USER_INPUT"),
    ],
)
def test_graphql_mistakes_have_codes(query: str, code: str) -> None:
    sent = Sent(Client(), json.dumps({"query": query, "variables": {"n": "ten"}}))
    assert sent.response.status_code == 200
    assert sent.codes == [code]


@pytest.mark.parametrize(
    "body",
    [
        {"query": "{ __typename }"},
        {"query": "query Q($a: Int) { __typename }", "variables": {"a": 1}, "operationName": "Q"},
        {"query": "{ __typename }", "variables": None, "extensions": {"k": "v"}},
        {"query": None},
        {"query": ["{ __typename }"]},
        {"query": "{ __typename }", "variables": "{}"},
        {"query": "{ __typename }", "extensions": [1]},
    ],
)
def test_a_json_post_is_parsed_as_strawberry_parses_it(body: dict) -> None:
    """The view's short path for JSON POSTs gives strawberry's request data or its 400."""
    from cross_web import HTTPException, SyncHTTPRequestAdapter
    from django.test import RequestFactory
    from strawberry.django.views import DjangoHTTPRequestAdapter, GraphQLView

    from catalog.urls import CatalogGraphQLView, schema

    def parse(view: GraphQLView, adapter: SyncHTTPRequestAdapter) -> object:
        try:
            return view.parse_http_body(adapter)
        except HTTPException as exc:
            return (exc.status_code, exc.reason)

    request = RequestFactory().post("/graphql/", body, content_type="application/json")
    ours = CatalogGraphQLView(schema=schema)
    assert ours._is_plain_json_post(request)
    adapter = DjangoHTTPRequestAdapter(request)
    assert parse(ours, adapter) == parse(GraphQLView(schema=schema), adapter)


def test_the_sub_response_is_strawberrys_without_encoding_its_body() -> None:
    """Headers, status and cookies that resolvers set start from the same response as before."""
    from strawberry.django.views import TemporalHttpResponse

    from catalog.common.view import SubResponse

    ours, theirs = SubResponse(), TemporalHttpResponse()
    assert isinstance(ours, TemporalHttpResponse)
    assert {**vars(ours), "headers": dict(ours.items())} == {
        **vars(theirs),
        "headers": dict(theirs.items()),
    }
    assert ours.status_code is None  # no status unless a resolver sets one
