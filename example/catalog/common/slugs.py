"""Unique product slugs, made the same way by the API and the background backfill.

A slug is Django's ``slugify`` of the name (``product`` when that is empty), then ``-2``,
``-3``... for later products of the same base. The next number of each base is kept in a
counter table (``product_slugcounter``) and reserved with one upsert, which also returns those
of the new slugs that a product has already, so a new slug costs one statement however many
products share the name, and concurrent creators never get the same number. Slugs that exist
already (set by hand, or a base that itself ends in ``-N``) are skipped by reserving further
numbers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.text import slugify

from catalog.common.rows import WHEN

BASE_MAX_LENGTH = 200
FALLBACK_BASE = "product"
PRODUCT_TABLE = "product_product"
COUNTER_TABLE = "product_slugcounter"


@lru_cache(maxsize=65_536)
def slug_base(name: str) -> str:
    """Return the slug base of ``name``: its slugify, shortened, never empty."""
    base = slugify(name)[:BASE_MAX_LENGTH].strip("-_")
    return base or FALLBACK_BASE


def numbered_slug(base: str, number: int) -> str:
    """Return the ``number``-th slug of ``base`` (the first one has no suffix)."""
    return base if number == 1 else f"{base}-{number}"


RESERVE_SQL = f"""
WITH wanted AS (
    SELECT base, amount FROM unnest(%s::text[], %s::bigint[]) AS wanted(base, amount)
), reserved AS (
    INSERT INTO {COUNTER_TABLE} AS counter (base, last)
    SELECT base, amount FROM wanted
    ON CONFLICT (base) DO UPDATE SET last = counter.last + EXCLUDED.last
    RETURNING counter.base, counter.last
)
SELECT reserved.base, reserved.last, ARRAY(
    SELECT product.slug FROM {PRODUCT_TABLE} AS product
    WHERE product.slug = ANY(ARRAY(
        SELECT CASE WHEN number = 1 THEN reserved.base ELSE reserved.base || '-' || number END
        FROM generate_series(reserved.last - wanted.amount + 1, reserved.last) AS number
    ))
)
FROM reserved JOIN wanted USING (base)
"""


# One number of one base, as a value statement of ``catalog.common.rows.insert_if`` (``{when}``:
# nothing is reserved unless the insert's condition holds).
NEXT_SLUG_SQL = f"""
INSERT INTO {COUNTER_TABLE} AS counter (base, last) SELECT %s, 1 WHERE {WHEN}
ON CONFLICT (base) DO UPDATE SET last = counter.last + EXCLUDED.last
RETURNING CASE WHEN counter.last = 1 THEN counter.base ELSE counter.base || '-' || counter.last END
"""


def next_slug(name: str) -> tuple[str, list[str]]:
    """Return the statement (and its parameters) that reserves the next slug of ``name``.

    It is the first of the numbers ``unique_slug`` would try; whether a product has that slug
    already is for the insert that uses it to find out (``ON CONFLICT``).
    """
    return NEXT_SLUG_SQL, [slug_base(name)]


def reserve_numbers(counts: dict[str, int]) -> tuple[dict[str, list[int]], set[str]]:
    """Reserve ``counts[base]`` consecutive numbers for each base in one statement.

    Return the numbers of each base and those of their slugs that some product already has.
    """
    if not counts:
        return {}, set()
    bases = list(counts)
    with connection.cursor() as cursor:
        cursor.execute(RESERVE_SQL, [bases, [counts[base] for base in bases]])
        rows = cursor.fetchall()
    numbers = {base: list(range(last - counts[base] + 1, last + 1)) for base, last, _ in rows}
    return numbers, {slug for _, _, taken in rows for slug in taken}


def bulk_unique_slugs(names: Sequence[str]) -> list[str]:
    """Return one new unique slug per name, in order, none taken by an existing product."""
    bases = [slug_base(name) for name in names]
    slugs: list[str | None] = [None] * len(names)
    todo = list(range(len(names)))
    while todo:
        reserved, taken = reserve_numbers(Counter(bases[i] for i in todo))
        numbers = {base: iter(values) for base, values in reserved.items()}
        candidates = {i: numbered_slug(bases[i], next(numbers[bases[i]])) for i in todo}
        taken |= {s for s in slugs if s}
        seen: defaultdict[str, int] = defaultdict(int)
        retry = []
        for i, candidate in candidates.items():
            seen[candidate] += 1
            if candidate in taken or seen[candidate] > 1:
                retry.append(i)
            else:
                slugs[i] = candidate
        todo = retry
    return [slug for slug in slugs if slug is not None]


def unique_slug(name: str) -> str:
    """Return a new unique slug for one product named ``name``."""
    return bulk_unique_slugs([name])[0]


def is_slug_conflict(error: IntegrityError) -> bool:
    """Return True when ``error`` is a unique violation on the slug column."""
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    return getattr(cause, "sqlstate", None) == "23505" and "slug" in (
        getattr(diag, "constraint_name", "") or str(cause)
    )


# The numbering of ``bulk_unique_slugs`` done in one statement, for the backfill: reserve the
# numbers of every base of a batch, number the rows of each base in id order, and write the
# slugs that no product has yet. Rows whose slug is taken are left NULL for the careful path.
FILL_SLUGS_SQL = f"""
WITH input AS (
    SELECT id, base FROM unnest(%(ids)s::bigint[], %(bases)s::text[]) AS t(id, base)
), counts AS (
    SELECT base, count(*) AS amount FROM input GROUP BY base
), reserved AS (
    INSERT INTO {COUNTER_TABLE} AS counter (base, last)
    SELECT base, amount FROM counts
    ON CONFLICT (base) DO UPDATE SET last = counter.last + EXCLUDED.last
    RETURNING counter.base, counter.last
), numbered AS (
    SELECT input.id, input.base,
           reserved.last - counts.amount
               + row_number() OVER (PARTITION BY input.base ORDER BY input.id) AS number
    FROM input JOIN counts USING (base) JOIN reserved USING (base)
), candidate AS (
    SELECT id, CASE WHEN number = 1 THEN base ELSE base || '-' || number END AS slug
    FROM numbered
)
UPDATE {PRODUCT_TABLE} AS product SET slug = candidate.slug
FROM candidate
WHERE product.id = candidate.id
    AND product.id > %(lower)s AND product.id <= %(upper)s AND product.slug IS NULL
    AND NOT EXISTS (SELECT 1 FROM {PRODUCT_TABLE} AS other WHERE other.slug = candidate.slug)
RETURNING product.id
"""


def fill_slugs(cursor: Any, rows: Sequence[tuple[int, str]], lower: int, upper: int) -> set[int]:
    """Give the rows ``(id, name)`` their numbered slugs in one statement; return the ids set.

    A slug two rows of the batch would share (a base that itself ends in ``-N``) makes the
    statement fail as a whole: then nothing is set here, inside a savepoint.
    """
    params = {
        "ids": [pk for pk, _ in rows],
        "bases": [slug_base(name) for _, name in rows],
        "lower": lower,
        "upper": upper,
    }
    try:
        with transaction.atomic():
            cursor.execute(FILL_SLUGS_SQL, params)
            return {pk for (pk,) in cursor.fetchall()}
    except IntegrityError:
        return set()
