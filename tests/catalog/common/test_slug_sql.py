"""The SQL twin of ``slug_base`` gives the same base as Django's slugify for every ASCII name."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from catalog.common.fake_products import ProductFaker
from catalog.common.slug_sql import NON_ASCII_SQL, slug_base_sql
from catalog.common.slugs import slug_base

pytestmark = pytest.mark.django_db

ASCII = [chr(code) for code in range(1, 128)]


def sql_bases(names: list[str]) -> list[str]:
    """Return the SQL expression's base of each name, in order."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {slug_base_sql('name')} FROM unnest(%s::text[]) WITH ORDINALITY"
            " AS t(name, n) ORDER BY n",
            [names],
        )
        return [row[0] for row in cursor.fetchall()]


def assert_same_bases(names: list[str]) -> None:
    expected = [slug_base(name) for name in names]
    mismatches = [
        (name, python, sql)
        for name, python, sql in zip(names, expected, sql_bases(names), strict=True)
        if python != sql
    ]
    assert mismatches == []


def test_every_ascii_character_alone_and_between_letters() -> None:
    names = [c for c in ASCII]
    names += [f"Ab{c}Cd" for c in ASCII] + [f"{c}{c}x{c} {c}y{c}{c}" for c in ASCII]
    assert_same_bases(names)


def test_random_ascii_names_with_runs_of_separators() -> None:
    rng = random.Random(20261201)
    alphabet = ASCII + list("aZ09 -_") * 12  # separators and letters often, everything else too
    names = ["".join(rng.choices(alphabet, k=rng.randint(0, 40))) for _ in range(3000)]
    assert_same_bases(names)


def test_long_names_are_cut_to_the_base_length_like_in_python() -> None:
    names = ["x" * 199 + "-y", "x" * 199 + " _-y", "-" * 10 + "a" * 300, "ab " * 120, "_" * 250]
    assert_same_bases(names)


def test_the_generated_catalog_names() -> None:
    names = sorted({name for name in ProductFaker(seed=7).names(20_000) if name.isascii()})
    assert len(names) > 1000
    assert_same_bases(names)


def test_names_beyond_ascii_are_left_to_python() -> None:
    names = ["Lamp", "Żółw", "Café", "灯", "☃", "a\x7fb", "tab\there", ""]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {NON_ASCII_SQL.format(column='name')} FROM unnest(%s::text[])"
            " WITH ORDINALITY AS t(name, n) ORDER BY n",
            [names],
        )
        flags = [row[0] for row in cursor.fetchall()]
    assert flags == [not name.isascii() for name in names]
