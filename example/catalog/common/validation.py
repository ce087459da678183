"""Validation of user input shared by the releases."""

from __future__ import annotations

import json
import re
from typing import Any

from catalog.common.errors import ApiError, ErrorCode

NAME_MAX_LENGTH = 250
SLUG_MAX_LENGTH = 255
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


def clean_name(name: str) -> str:
    """Return ``name`` stripped; raise ``INVALID_NAME`` when blank or too long."""
    cleaned = name.strip()
    if not cleaned:
        raise ApiError(ErrorCode.INVALID_NAME, "`name` must not be empty.")
    if len(cleaned) > NAME_MAX_LENGTH:
        raise ApiError(
            ErrorCode.INVALID_NAME, f"`name` must be at most {NAME_MAX_LENGTH} characters."
        )
    if "\x00" in cleaned:
        raise ApiError(ErrorCode.INVALID_NAME, "`name` must not contain NUL characters.")
    return cleaned


def clean_description(description: Any) -> Any:
    """Return the description as a JSON value.

    A string is parsed as JSON text (the original API took a JSONString); other values are
    taken as they are. Text that is not JSON raises ``INVALID_DESCRIPTION``.
    """
    if isinstance(description, str):
        try:
            description = json.loads(description)
        except ValueError as exc:
            raise ApiError(
                ErrorCode.INVALID_DESCRIPTION, "`description` must be valid JSON."
            ) from exc
    if "\\u0000" in json.dumps(description):
        raise ApiError(
            ErrorCode.INVALID_DESCRIPTION, "`description` must not contain NUL characters."
        )
    return description


def clean_slug(slug: str) -> str:
    """Return a slug given by a client; raise ``INVALID_SLUG`` when it is not a valid slug."""
    cleaned = slug.strip()
    if not cleaned or len(cleaned) > SLUG_MAX_LENGTH or not SLUG_PATTERN.fullmatch(cleaned):
        raise ApiError(
            ErrorCode.INVALID_SLUG,
            f"`slug` must be 1-{SLUG_MAX_LENGTH} lowercase letters, digits, '-' or '_'.",
        )
    return cleaned
