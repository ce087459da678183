"""Validation of user input shared by the releases."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any

from catalog.common.errors import ApiError, ErrorCode
from catalog.common.limits import limits

NAME_MAX_LENGTH = 250
SLUG_MAX_LENGTH = 255
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
# Bidirectional embeddings, overrides and isolates: they reorder the text shown around them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters, marks, numbers, punctuation and symbols show ink; spaces, controls and format
# characters (zero-width space, joiners, direction marks) do not.
VISIBLE_CATEGORIES = frozenset("LNPS")
# Integers a JSON client reads exactly (IEEE 754 doubles): larger ones would change silently.
JSON_SAFE_INTEGER = 2**53 - 1


def _name_error(message: str) -> ApiError:
    return ApiError(ErrorCode.INVALID_NAME, message)


def clean_name(name: str) -> str:
    """Return ``name`` stripped; raise ``INVALID_NAME`` unless it is a showable name.

    Refused: blank, longer than 250 characters, control characters (NUL included), lone
    surrogates, bidirectional overrides, and names without a visible character.
    """
    cleaned = name.strip()
    if not cleaned:
        raise _name_error("`name` must not be empty.")
    if len(cleaned) > NAME_MAX_LENGTH:
        raise _name_error(f"`name` must be at most {NAME_MAX_LENGTH} characters.")
    categories = {unicodedata.category(char) for char in cleaned}
    if "Cs" in categories:
        raise _name_error("`name` must be valid Unicode (it holds a lone surrogate).")
    if "Cc" in categories:
        raise _name_error("`name` must not contain control characters.")
    if not BIDI_CONTROLS.isdisjoint(cleaned):
        raise _name_error("`name` must not contain bidirectional override characters.")
    if not any(category[0] in VISIBLE_CATEGORIES for category in categories):
        raise _name_error("`name` must contain a visible character.")
    return cleaned


def _description_error(message: str) -> ApiError:
    return ApiError(ErrorCode.INVALID_DESCRIPTION, f"`description` {message}.")


def _refuse_constant(name: str) -> Any:
    raise _description_error(f"must be JSON; {name} is not a JSON number")


def _check_string(text: str) -> None:
    if "\x00" in text:
        raise _description_error("must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _description_error("must be valid Unicode (it holds a lone surrogate)") from None


def _check_value(value: Any, max_depth: int) -> None:
    """Check every value of a JSON document without recursion (its depth is not trusted)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise _description_error(f"must be nested at most {max_depth} levels deep")
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str):
                    _check_string(key)
                stack.append((child, depth + 1))
        elif isinstance(item, str):
            _check_string(item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > JSON_SAFE_INTEGER:
                raise _description_error(
                    f"numbers must be integers within ±{JSON_SAFE_INTEGER} or finite decimals"
                )
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise _description_error("numbers must be finite (no NaN, Infinity or 1e999)")
        else:
            raise _description_error(f"must be JSON, not {type(item).__name__}")


def clean_description(description: Any) -> Any:
    """Return the description as a JSON value, or raise ``INVALID_DESCRIPTION``.

    A string is parsed as JSON text (the original API took a JSONString); other values are
    taken as they are. Refused: text that is not JSON, NaN / Infinity / numbers out of range,
    lone surrogates and NUL characters, nesting deeper than ``CATALOG_MAX_DESCRIPTION_DEPTH``
    and more than ``CATALOG_MAX_DESCRIPTION_BYTES`` bytes of compact UTF-8 JSON.
    """
    current = limits()
    if isinstance(description, str):
        if len(description) > current.max_description_bytes:
            raise _description_error(f"must be at most {current.max_description_bytes} bytes")
        try:
            description = json.loads(description, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise _description_error("must be valid JSON") from exc
    _check_value(description, current.max_description_depth)
    size = len(json.dumps(description, ensure_ascii=False, separators=(",", ":")).encode())
    if size > current.max_description_bytes:
        raise _description_error(
            f"must be at most {current.max_description_bytes} bytes of JSON (it has {size})"
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
