"""Slug generation: same rules for the API and the backfill, unique, fast on repeated names."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from catalog.common.slugs import bulk_unique_slugs, numbered_slug, slug_base

pytestmark = pytest.mark.release("0.3.0")


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("Red Lamp", "red-lamp"),
        ("Żółta Lampa", "zota-lampa"),
        ("Crème brûlée", "creme-brulee"),
        ("☃☃☃", "product"),
        ("灯", "product"),
        ("!!! ???", "product"),
        ("  --Lamp--  ", "lamp"),
    ],
)
def test_slug_base_is_slugify_and_never_empty(name: str, base: str) -> None:
    assert slug_base(name) == base


def test_slug_base_leaves_room_for_a_suffix() -> None:
    assert len(numbered_slug(slug_base("x" * 300), 99_999)) <= 255


@pytest.mark.django_db
def test_repeated_names_get_numeric_suffixes() -> None:
    assert bulk_unique_slugs(["Lamp"] * 4) == ["lamp", "lamp-2", "lamp-3", "lamp-4"]
    assert bulk_unique_slugs(["Lamp"]) == ["lamp-5"]


@pytest.mark.django_db
def test_existing_and_colliding_slugs_are_skipped() -> None:
    from catalog.models import Product

    Product.objects.create(name="manual", slug="lamp-2")
    slugs = bulk_unique_slugs(["Lamp", "Lamp", "Lamp 3", "Lamp"])
    assert len(set(slugs)) == 4
    assert "lamp-2" not in slugs
    assert slugs[0] == "lamp"


@pytest.mark.django_db
def test_one_hundred_thousand_same_names_cost_one_statement(
    django_assert_max_num_queries,
) -> None:
    with django_assert_max_num_queries(1):
        slugs = bulk_unique_slugs(["Same name"] * 100_000)
    assert len(set(slugs)) == 100_000
    assert slugs[-1] == "same-name-100000"


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_name_never_share_a_slug() -> None:
    from catalog.models import Product
    from catalog.releases.v0_3_0.services import product_create

    errors: list[BaseException] = []
    barrier = threading.Barrier(12)

    def create() -> None:
        try:
            barrier.wait()
            for _ in range(3):
                product_create(name="Popular lamp")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    slugs = list(Product.objects.values_list("slug", flat=True))
    assert len(slugs) == 36
    assert len(set(slugs)) == 36
