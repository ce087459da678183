"""The slug backfill's batch as one statement, with ``slug_base`` done in SQL for ASCII names.

``slug_base`` is Django's ``slugify`` of the name, shortened to 200 characters, ``product`` when
empty. For a name made only of ASCII characters ``slugify`` reduces to four text steps that
PostgreSQL does exactly the same way (NFKD leaves ASCII as it is and nothing is dropped as
non-ASCII): lower-case ``A-Z``; delete every character that is not ``[a-z0-9_]``, whitespace or
``-``; turn each run of whitespace and ``-`` into one ``-``; strip ``-`` and ``_`` from both ends.
"Whitespace" is Python's for ``str`` patterns, which in ASCII is tab, newline, vertical tab,
form feed, carriage return, the four separators ``\\x1c``-``\\x1f`` and space.
``tests/catalog/common/test_slug_sql.py`` compares the two on every ASCII character and on
random names. Names with any other character are slugified in Python and sent with the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from catalog.common.slugs import (
    BASE_MAX_LENGTH,
    COUNTER_TABLE,
    FALLBACK_BASE,
    PRODUCT_TABLE,
    slug_base,
)

# Python's ``\s`` within ASCII, in PostgreSQL's regular-expression escapes.
_WHITESPACE = r"\t\n\u000b\f\r\u001c-\u001f "
# True for a value with a character beyond ASCII (one match: much faster than ``^[...]*$``).
NON_ASCII_SQL = r"{column} ~ '[^\u0001-\u007f]'"


def slug_base_sql(column: str) -> str:
    """Return an SQL expression equal to ``slug_base(column)`` when the value is ASCII-only.

    Lower-casing runs in the "C" collation, which changes ``A-Z`` only, whatever the database's
    locale; the result is given back the default collation so that it compares with ``slug``
    through its unique index.
    """
    lowered = f'lower({column} COLLATE "C")'
    kept = f"regexp_replace({lowered}, '[^a-z0-9_{_WHITESPACE}-]', '', 'g')"
    dashed = f"regexp_replace({kept}, '[{_WHITESPACE}-]+', '-', 'g')"
    shortened = f"btrim(left(btrim({dashed}, '-_'), {BASE_MAX_LENGTH}), '-_')"
    return f"""coalesce(nullif({shortened}, ''), '{FALLBACK_BASE}') COLLATE "default\""""


# One batch: the pending rows of the range get their base (from SQL, or from the array of
# Python-made bases for the other names), every base of the batch reserves its numbers in the
# counter table, the rows of each base are numbered in id order, and the slugs that no product
# has yet are written. It answers how many rows it set and the ids it left for the careful path
# (a slug some product has already). A row committed after the caller read the non-ASCII names
# has no base here and is left for the runner's sweep of late rows.
FILL_SLUGS_SQL = f"""
WITH given AS (
    SELECT id, base FROM unnest(%(ids)s::bigint[], %(bases)s::text[]) AS given(id, base)
), input AS (
    SELECT product.id,
           CASE WHEN {NON_ASCII_SQL.format(column="product.name")}
                THEN given.base ELSE {slug_base_sql("product.name")} END AS base
    FROM {PRODUCT_TABLE} AS product LEFT JOIN given USING (id)
    WHERE product.id > %(lower)s AND product.id <= %(upper)s AND product.slug IS NULL
), counts AS (
    SELECT base, count(*) AS amount FROM input WHERE base IS NOT NULL GROUP BY base
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
), updated AS (
    UPDATE {PRODUCT_TABLE} AS product SET slug = candidate.slug
    FROM candidate
    WHERE product.id = candidate.id
        AND product.id > %(lower)s AND product.id <= %(upper)s AND product.slug IS NULL
        AND NOT EXISTS (SELECT 1 FROM {PRODUCT_TABLE} AS other WHERE other.slug = candidate.slug)
    RETURNING product.id
)
SELECT (SELECT count(*) FROM updated),
       ARRAY(SELECT id FROM numbered WHERE id NOT IN (SELECT id FROM updated) ORDER BY id)
"""

NON_ASCII_PENDING_SQL = (
    f"SELECT id, name FROM {PRODUCT_TABLE}"
    " WHERE id > %s AND id <= %s AND slug IS NULL"
    f" AND {NON_ASCII_SQL.format(column='name')}"
)


@dataclass(frozen=True)
class FillResult:
    """What one statement did to a batch: rows set, and the ids left for the careful path."""

    filled: int
    left: Sequence[int]


def fill_slugs(cursor: Any, lower: int, upper: int) -> FillResult | None:
    """Slug the pending rows ``lower < id <= upper`` in one statement.

    Returns None, having set nothing (inside a savepoint), when two rows of the batch would
    get the same slug (a base that itself ends in ``-N``, as ``lamp`` and ``lamp 2`` twice):
    then the caller slugs the range the careful way.
    """
    cursor.execute(NON_ASCII_PENDING_SQL, [lower, upper])
    others = cursor.fetchall()
    params = {
        "ids": [pk for pk, _ in others],
        "bases": [slug_base(name) for _, name in others],
        "lower": lower,
        "upper": upper,
    }
    try:
        with transaction.atomic():
            cursor.execute(FILL_SLUGS_SQL, params)
            filled, left = cursor.fetchone()
    except IntegrityError:
        return None
    return FillResult(filled=int(filled), left=list(left))
