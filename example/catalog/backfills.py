"""The catalog's background migrations: fill created_at and slug on rows written before 0.1.1.

They live outside the release folders because they run in whichever release's worker (or in the
first migration of 0.2.0) is alive, and use SQL rather than a release's models.
"""

from __future__ import annotations

from typing import Any

from catalog.common.slugs import PRODUCT_TABLE, bulk_unique_slugs, fill_slugs
from zerodowntime.background.base import Backfill, SqlBackfill


class CreatedAtBackfill(SqlBackfill):
    """Copy ``created`` into ``created_at`` for rows the trigger did not fill."""

    name = "product_created_at"
    table = PRODUCT_TABLE
    pending_condition = "created_at IS NULL"
    update_sql = (
        f"UPDATE {PRODUCT_TABLE} SET created_at = created"
        " WHERE id > %(lower)s AND id <= %(upper)s AND created_at IS NULL"
    )


class SlugBackfill(Backfill):
    """Give every product without a slug a unique one, made as the API makes it."""

    name = "product_slug"
    table = PRODUCT_TABLE
    pending_condition = "slug IS NULL"

    def process_batch(self, cursor: Any, lower: int, upper: int) -> int:
        """Slug the rows ``lower < id <= upper`` that have none; return how many were set.

        Most rows are done by one statement (``fill_slugs``); the few whose slug is taken go
        through ``bulk_unique_slugs``, which checks candidates before writing them.
        """
        cursor.execute(
            f"SELECT id, name FROM {PRODUCT_TABLE}"
            " WHERE id > %s AND id <= %s AND slug IS NULL ORDER BY id",
            [lower, upper],
        )
        rows = cursor.fetchall()
        if not rows:
            return 0
        filled = fill_slugs(cursor, rows, lower, upper)
        rows = [(pk, name) for pk, name in rows if pk not in filled]
        if not rows:
            return len(filled)
        slugs = bulk_unique_slugs([name for _, name in rows])
        cursor.execute(
            f"UPDATE {PRODUCT_TABLE} AS product SET slug = fill.slug"
            " FROM unnest(%s::bigint[], %s::text[]) AS fill(id, slug)"
            " WHERE product.id = fill.id AND product.id > %s AND product.id <= %s"
            " AND product.slug IS NULL",
            [[pk for pk, _ in rows], slugs, lower, upper],
        )
        return len(filled) + int(cursor.rowcount)
