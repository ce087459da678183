"""Keyset pagination over primary keys for relay connections."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Model, QuerySet

from catalog.common.errors import ApiError, ErrorCode
from catalog.common.limits import limits

M = TypeVar("M", bound=Model)
DEFAULT_PAGE_SIZE = 20
MAX_CURSOR_LENGTH = 64


def encode_cursor(pk: int) -> str:
    """Return the opaque cursor of the row with primary key ``pk``."""
    return base64.b64encode(f"cursor:{pk}".encode()).decode("ascii")


def decode_cursor(cursor: str) -> int:
    """Return the primary key in ``cursor``, a cursor this API made; else ``INVALID_CURSOR``."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise ApiError(ErrorCode.INVALID_CURSOR, "The cursor is too long to be one of ours.")
    try:
        prefix, _, pk_text = base64.b64decode(cursor, validate=True).decode().partition(":")
        pk = int(pk_text)
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise ApiError(ErrorCode.INVALID_CURSOR, f"{cursor!r} is not a valid cursor.") from exc
    if prefix != "cursor" or not 0 < pk < 2**63 or encode_cursor(pk) != cursor:
        raise ApiError(ErrorCode.INVALID_CURSOR, f"{cursor!r} is not a valid cursor.")
    return pk


@dataclass(frozen=True)
class Page(Generic[M]):
    """One page of rows ordered by primary key."""

    rows: list[M]
    has_next_page: bool


def page_size(first: int | None) -> int:
    """Validate ``first`` against the configured maximum and return the page size."""
    maximum = limits().max_page_size
    if first is None:
        return min(DEFAULT_PAGE_SIZE, maximum)
    if first < 0:
        raise ApiError(ErrorCode.INVALID_PAGE_SIZE, "`first` must not be negative.")
    if first > maximum:
        raise ApiError(ErrorCode.PAGE_TOO_LARGE, f"`first` must be at most {maximum}.")
    return first


def keyset_page(queryset: QuerySet[M], *, first: int | None, after: str | None) -> Page[M]:
    """Return the rows after the cursor ``after``, ``first`` of them, ordered by pk."""
    size = page_size(first)
    if after is not None:
        queryset = queryset.filter(pk__gt=decode_cursor(after))
    rows = list(queryset.order_by("pk")[: size + 1])
    return Page(rows=rows[:size], has_next_page=len(rows) > size)
