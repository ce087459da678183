"""The GraphQL API of release 0.2.0: `created` is deprecated and read from created_at."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import GraphQLClient

pytestmark = [pytest.mark.django_db, pytest.mark.release("0.2.0")]

CREATE = """
mutation { productCreate(name: "Lamp", isPublished: false) {
  product { id slug created createdAt isPublished } } }"""


def test_created_is_deprecated_and_equals_created_at(gql: GraphQLClient) -> None:
    product = gql.execute(CREATE)["data"]["productCreate"]["product"]
    assert product["created"] == product["createdAt"]
    assert (product["slug"], product["isPublished"]) == ("lamp", False)
    fields = gql.execute(
        '{ __type(name: "Product") { fields(includeDeprecated: true) '
        "{ name isDeprecated deprecationReason } } }"
    )["data"]["__type"]["fields"]
    created = next(field for field in fields if field["name"] == "created")
    assert created["isDeprecated"] and "createdAt" in created["deprecationReason"]


def test_database_keeps_created_filled_for_older_readers(gql: GraphQLClient) -> None:
    gql.execute(CREATE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT created, created_at FROM product_product")
        created, created_at = cursor.fetchone()
    assert created is not None and created == created_at
