"""The catalog's background migrations fill created_at and slug on rows 0.1.0 wrote."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.common.slugs import slug_base
from zerodowntime.background.runner import run_backfill

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.release("0.1.1")]

NAMES = ["Lamp", "Lamp", "Żółw", "☃", "Lamp 2", "Chair"] * 50


def insert_rows_as_release_0_1_0() -> None:
    """Insert rows the way 0.1.0 did before the trigger existed: no created_at, no slug."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE product_product DISABLE TRIGGER product_product_sync_created")
        cursor.execute(
            "INSERT INTO product_product (name, created)"
            " SELECT name, now() - make_interval(secs => ordinality)"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS t(name, ordinality)",
            [NAMES],
        )
        cursor.execute("ALTER TABLE product_product ENABLE TRIGGER product_product_sync_created")


def column(sql: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


def test_backfills_fill_every_row_once_and_are_idempotent() -> None:
    insert_rows_as_release_0_1_0()
    assert column("SELECT count(*) FROM product_product WHERE created_at IS NULL") == [len(NAMES)]

    assert run_backfill("product_created_at").status == "done"
    assert run_backfill("product_slug").status == "done"

    assert column(
        "SELECT count(*) FROM product_product WHERE created_at IS DISTINCT FROM created"
    ) == [0]
    rows = [
        (name, slug)
        for name, slug in zip(
            column("SELECT name FROM product_product ORDER BY id"),
            column("SELECT slug FROM product_product ORDER BY id"),
            strict=True,
        )
    ]
    slugs = [slug for _, slug in rows]
    assert None not in slugs and len(set(slugs)) == len(slugs)
    assert all(slug.startswith(slug_base(name)) for name, slug in rows)

    before = column("SELECT slug FROM product_product ORDER BY id")
    run_backfill("product_slug")
    assert column("SELECT slug FROM product_product ORDER BY id") == before


def test_slug_numbers_follow_id_order_and_skip_taken_slugs() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO product_product (name, created, slug)"
            " VALUES ('Hand-made', now(), 'chair-2')"
        )
        cursor.execute("ALTER TABLE product_product DISABLE TRIGGER product_product_sync_created")
        cursor.execute(
            "INSERT INTO product_product (name, created)"
            " SELECT name, now() FROM unnest(%s::text[]) WITH ORDINALITY AS t(name, n) ORDER BY n",
            [["Chair", "Chair", "Desk", "Chair", "Desk"]],
        )
        cursor.execute("ALTER TABLE product_product ENABLE TRIGGER product_product_sync_created")

    run_backfill("product_slug")

    slugs = column("SELECT slug FROM product_product WHERE name <> 'Hand-made' ORDER BY id")
    assert slugs[0] == "chair" and slugs[2] == "desk" and slugs[4] == "desk-2"
    assert "chair-2" not in slugs
    assert len(set(slugs)) == 5 and all(s.startswith("chair") for s in (slugs[1], slugs[3]))


def test_ascii_and_accented_names_of_one_base_are_numbered_together_in_id_order() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE product_product DISABLE TRIGGER product_product_sync_created")
        cursor.execute(
            "INSERT INTO product_product (name, created)"
            " SELECT name, now() FROM unnest(%s::text[]) WITH ORDINALITY AS t(name, n) ORDER BY n",
            [["Café", "Cafe", "CAFÉ", "cafe!", "☃", "Crème Brûlée", "creme  brulee", "?"]],
        )
        cursor.execute("ALTER TABLE product_product ENABLE TRIGGER product_product_sync_created")

    run_backfill("product_slug")

    assert column("SELECT slug FROM product_product ORDER BY id") == [
        "cafe",
        "cafe-2",
        "cafe-3",
        "cafe-4",
        "product",
        "creme-brulee",
        "creme-brulee-2",
        "product-2",
    ]
