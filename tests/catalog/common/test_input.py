"""Input the API refuses with a code: names, descriptions, IDs and cursors."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

from catalog.tokens.services import token_create
from tests.catalog.common.attacks import Sent, global_id

pytestmark = pytest.mark.django_db
CREATE = """mutation($name: String!, $d: JSON) {
  productCreate(name: $name, description: $d) { product { id name } }
}"""
CREATE_TEXT = (
    'mutation($d: JSON) { productCreate(name: "Lamp", description: $d) { product { id } } }'
)


def send(query: str, variables: dict | None = None, token: str | None = None) -> Sent:
    return Sent(Client(), json.dumps({"query": query, "variables": variables}), token=token)


def create(name: str = "Lamp", description: object = None) -> Sent:
    return send(CREATE, {"name": name, "d": description}, token_create(name="test"))


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "name",
    ["a\ud800b", "\u200b\u200b", "\u200b \u2060", "abc\u202edef", "x\u2066y", "tab\there", "\x00"],
)
def test_names_that_cannot_be_shown_are_refused(name: str) -> None:
    sent = create(name=name)
    assert sent.codes == ["INVALID_NAME"], sent.json
    assert sent.rows_added == 0


@pytest.mark.parametrize("name", ["👩‍🍳", "Żółta łódź", "木製の椅子", "!!!", "Ψ"])
def test_real_names_are_accepted(name: str) -> None:
    sent = create(name=name)
    assert "errors" not in sent.json, sent.json
    assert sent.json["data"]["productCreate"]["product"]["name"] == name


@pytest.mark.parametrize(
    "description",
    [
        '{"a": NaN}',
        '{"a": Infinity}',
        "[-Infinity]",
        '{"a": 1e999}',
        {"a": 2**60},
        {"a\ud800": 1},
        '"\\ud800"',
        nested(17),
        "[" * 3000 + "1" + "]" * 3000,
        {"text": "x" * 8_200},
    ],
)
def test_descriptions_out_of_range_are_refused(description: object) -> None:
    token = token_create(name="test")
    body = json.dumps({"query": CREATE_TEXT, "variables": {"d": description}})
    sent = Sent(Client(), body, token=token)
    assert sent.response.status_code == 200
    assert sent.codes == ["INVALID_DESCRIPTION"], sent.json
    assert sent.rows_added == 0


def test_an_overflowing_json_number_is_refused() -> None:
    token = token_create(name="test")
    body = json.dumps({"query": CREATE_TEXT, "variables": {"d": {"a": 1}}}).replace(
        '{"a": 1}', '{"a": 1e999}'
    )
    sent = Sent(Client(), body, token=token)
    assert sent.codes == ["INVALID_DESCRIPTION"], sent.json


def test_description_literals_out_of_range_are_refused() -> None:
    token = token_create(name="test")
    for literal in ("{a: 1e999}", "[" * 20 + "1" + "]" * 20):
        create = f'productCreate(name: "L", description: {literal}) {{ product {{ id }} }}'
        query = f"mutation {{ {create} }}"
        sent = send(query, token=token)
        assert sent.codes == ["INVALID_DESCRIPTION"], sent.json


def test_descriptions_within_limits_are_kept() -> None:
    description = {"deep": nested(10), "n": 2**53 - 1, "f": 1.5, "text": "ż" * 3000}
    sent = create(description=description)
    assert "errors" not in sent.json, sent.json


@pytest.mark.parametrize(
    "text", ["Product:1_0", "Product:١", "Product:01", "Product:+1", "Product: 1", "Product:1 "]
)
def test_only_canonical_ids_are_accepted(text: str) -> None:
    created = create().json["data"]["productCreate"]["product"]["id"]
    assert created == global_id("Product:1") or created
    query = "query($id: ID!) { product(id: $id) { id } }"
    assert send(query, {"id": global_id(text)}).codes == ["INVALID_ID"]
    padded = created.rstrip("=") if created.endswith("=") else " " + created
    assert send(query, {"id": padded}).codes == ["INVALID_ID"]


@pytest.mark.parametrize(
    "text", ["cursor:01", "cursor:99999999999999999999", "cursor:-1", "cursor:١"]
)
def test_only_canonical_cursors_are_accepted(text: str) -> None:
    query = (
        "query($after: String) { products(first: 1, after: $after) { pageInfo { hasNextPage } } }"
    )
    sent = send(query, {"after": global_id(text)})
    assert sent.codes == ["INVALID_CURSOR"], sent.json


def test_the_request_deadline_stops_sql(settings) -> None:
    settings.CATALOG_REQUEST_SECONDS = 0
    sent = send("{ products(first: 1) { pageInfo { hasNextPage } } }")
    assert sent.codes == ["QUERY_TIMEOUT"]
    assert [sql for sql in sent.queries if sql] == []  # refused before it reached PostgreSQL


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_statement_is_a_timeout_and_writes_nothing() -> None:
    token = token_create(name="test")
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '100ms'")
        cursor.execute(
            "CREATE OR REPLACE FUNCTION pg_temp.slow() RETURNS trigger LANGUAGE plpgsql"
            " AS $$ BEGIN PERFORM pg_sleep(1); RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER slow BEFORE INSERT ON product_product"
            " FOR EACH ROW EXECUTE FUNCTION pg_temp.slow()"
        )
    try:
        sent = send('mutation { productCreate(name: "Lamp") { product { id } } }', token=token)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
            cursor.execute("DROP TRIGGER slow ON product_product")
    assert sent.codes == ["QUERY_TIMEOUT"], sent.json
    assert sent.rows_added == 0


def test_introspection_and_graphiql_can_be_switched_off(settings) -> None:
    query = "{ __schema { queryType { name } } }"
    assert "errors" not in send(query).json
    assert Client().get("/graphql/", HTTP_ACCEPT="text/html").status_code == 200
    settings.CATALOG_INTROSPECTION = False
    settings.CATALOG_GRAPHIQL = False
    assert set(send(query).codes) == {"GRAPHQL_VALIDATION_FAILED"}
    assert send("{ __typename }").json == {"data": {"__typename": "Query"}}
    page = Client().get("/graphql/", HTTP_ACCEPT="text/html")
    assert page.status_code == 404
