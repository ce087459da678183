"""Release 0.1.1: slugs on create, created_at kept in step by the trigger."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.models import Product
from tests.conftest import GraphQLClient, error_codes

pytestmark = [pytest.mark.django_db, pytest.mark.release("0.1.1")]

CREATE = """
mutation($name: String!, $slug: String) {
  productCreate(name: $name, slug: $slug) { product { id slug created } }
}"""


def test_create_makes_unique_slugs_and_fills_created_at(gql: GraphQLClient) -> None:
    slugs = [
        gql.execute(CREATE, {"name": "Żółw"})["data"]["productCreate"]["product"]["slug"]
        for _ in range(3)
    ]
    assert slugs == ["zow", "zow-2", "zow-3"]
    for product in Product.objects.all():
        assert product.created_at is None or product.created_at == product.created
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM product_product WHERE created_at IS DISTINCT FROM created"
        )
        assert cursor.fetchone() == (0,)


def test_explicit_taken_slug_is_refused(gql: GraphQLClient) -> None:
    gql.execute(CREATE, {"name": "A", "slug": "same"})
    assert error_codes(gql.execute(CREATE, {"name": "B", "slug": "same"})) == ["SLUG_TAKEN"]


def test_rows_of_older_release_read_with_null_slug(gql: GraphQLClient) -> None:
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO product_product (name, created) VALUES ('old', now())")
    result = gql.execute("{ products(first: 5) { edges { node { name slug created } } } }")
    node = result["data"]["products"]["edges"][0]["node"]
    assert (node["name"], node["slug"]) == ("old", None)
