"""One row by primary key and one insert, with SQL built once: the same rows as the ORM's."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from django.db import connection, transaction

from catalog.common.rows import get_by_pk, insert_if, insert_unless_taken
from catalog.common.slugs import next_slug
from catalog.releases.v0_3_0.models import Product, SlugCounter

pytestmark = [pytest.mark.django_db, pytest.mark.release("0.3.0")]

DESCRIPTION = {"color": "red", "sizes": [1, 2.5, None], "nested": {"ok": True}}


def test_get_by_pk_returns_what_the_orm_returns(django_assert_num_queries) -> None:
    made = Product.objects.create(name="Lamp", slug="lamp", description=DESCRIPTION)
    with django_assert_num_queries(1):
        found = get_by_pk(Product, made.pk)
    orm = Product.objects.filter(pk=made.pk).first()
    assert found is not None and orm is not None
    for field in Product._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(orm, field.attname), field.name
    assert found.description == DESCRIPTION  # decoded JSON, not its text
    assert isinstance(found.created_at, datetime) and found.created_at.tzinfo is not None
    assert (found._state.adding, found._state.db) == (False, "default")


def test_get_by_pk_of_a_missing_row_is_none() -> None:
    made = Product.objects.create(name="Lamp", slug="lamp")
    assert get_by_pk(Product, made.pk + 1) is None


def test_insert_sets_the_key_and_database_defaults() -> None:
    product = Product(name="Lamp", slug="lamp", description=DESCRIPTION)
    assert insert_unless_taken(product, unique="slug") is True
    assert product.pk is not None
    assert product.is_published is True  # db_default, returned by the insert
    assert (product._state.adding, product._state.db) == (False, "default")
    stored = Product.objects.get(pk=product.pk)
    assert (stored.name, stored.slug, stored.description) == ("Lamp", "lamp", DESCRIPTION)
    assert stored.created_at == product.created_at  # auto_now_add, set as save() sets it
    unpublished = Product(name="Desk", slug="desk", is_published=False)
    assert insert_unless_taken(unpublished, unique="slug") is True
    assert Product.objects.get(pk=unpublished.pk).is_published is False


def test_a_taken_value_inserts_nothing_and_leaves_the_transaction_usable() -> None:
    Product.objects.create(name="Lamp", slug="lamp")
    with transaction.atomic():
        taken = Product(name="Other lamp", slug="lamp")
        assert insert_unless_taken(taken, unique="slug") is False
        assert taken.pk is None and taken._state.adding is True
        # No error was raised inside the transaction: it goes on without a savepoint.
        assert insert_unless_taken(Product(name="Other lamp", slug="lamp-b"), unique="slug")
    assert sorted(Product.objects.values_list("slug", flat=True)) == ["lamp", "lamp-b"]


@pytest.mark.django_db(transaction=True)
def test_a_generated_slug_committed_meanwhile_is_skipped_for_the_next_number() -> None:
    """The insert waits for the transaction that holds its slug and, once it commits, retries."""
    from catalog.releases.v0_3_0.services import product_create

    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Product.objects.create(name="Manual", slug="lamp")  # the counter is not told
                holding.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(timeout=10)
    threading.Timer(0.3, release.set).start()  # commit while the insert below waits for it
    with transaction.atomic():
        product = product_create(name="Lamp")
    holder.join()
    assert product.slug == "lamp-2"
    assert sorted(Product.objects.values_list("slug", flat=True)) == ["lamp", "lamp-2"]


def counters() -> dict[str, int]:
    return dict(SlugCounter.objects.values_list("base", "last"))


def test_insert_if_reserves_the_value_and_inserts_in_one_statement(
    django_assert_num_queries,
) -> None:
    SlugCounter.objects.create(base="lamp", last=1)
    product = Product(name="Lamp", description=DESCRIPTION)
    with django_assert_num_queries(1):
        outcome = insert_if(product, unique="slug", condition=("true", ()), value=next_slug("Lamp"))
    assert (outcome.allowed, outcome.inserted) == (True, True)
    assert (product.slug, product.is_published) == ("lamp-2", True)  # made, and a db_default
    assert (product._state.adding, product._state.db) == (False, "default")
    stored = Product.objects.get(pk=product.pk)
    assert (stored.name, stored.slug, stored.description) == ("Lamp", "lamp-2", DESCRIPTION)
    assert stored.created_at == product.created_at
    assert counters() == {"lamp": 2}


def test_insert_if_does_nothing_at_all_when_its_condition_is_false() -> None:
    product = Product(name="Lamp")
    outcome = insert_if(product, unique="slug", condition=("%s = 1", [2]), value=next_slug("Lamp"))
    assert (outcome.allowed, outcome.inserted) == (False, False)
    assert product.pk is None and product._state.adding is True
    assert not Product.objects.exists()
    assert counters() == {}  # the value statement did not run: no number reserved
    explicit = Product(name="Lamp", slug="lamp")
    assert not insert_if(explicit, unique="slug", condition=("false", ())).allowed
    assert not Product.objects.exists()


def test_insert_if_skips_a_taken_value_and_keeps_what_the_value_statement_wrote() -> None:
    Product.objects.create(name="Manual", slug="lamp")  # the counter is not told
    with transaction.atomic():
        product = Product(name="Lamp")
        outcome = insert_if(product, unique="slug", condition=("true", ()), value=next_slug("Lamp"))
        assert (outcome.allowed, outcome.inserted) == (True, False)
        assert product.pk is None and product._state.adding is True
        # No error was raised inside the transaction: it goes on without a savepoint.
        again = insert_if(product, unique="slug", condition=("true", ()), value=next_slug("Lamp"))
        assert again.inserted and product.slug == "lamp-2"
    assert counters() == {"lamp": 2}
    explicit = Product(name="Other", slug="lamp")
    assert insert_if(explicit, unique="slug", condition=("true", ())).inserted is False
    assert sorted(Product.objects.values_list("slug", flat=True)) == ["lamp", "lamp-2"]
