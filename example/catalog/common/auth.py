"""Require a valid bearer token for mutations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from catalog.common.errors import ApiError, ErrorCode
from catalog.tokens.services import bearer_token, token_is_valid


def require_token(info: Any) -> None:
    """Raise ``UNAUTHENTICATED`` unless the request carries a valid bearer token."""
    if not token_is_valid(token=sent_token(info)):
        raise invalid_token()


def sent_token(info: Any) -> str:
    """Return the request's bearer token, unchecked; raise ``UNAUTHENTICATED`` if it has none."""
    # META rather than ``request.headers``, which builds a mapping of every header first.
    token = bearer_token(info.context.request.META.get("HTTP_AUTHORIZATION"))
    if token is None:
        raise ApiError(
            ErrorCode.UNAUTHENTICATED, "This mutation needs `Authorization: Bearer <token>`."
        )
    return token


def invalid_token() -> ApiError:
    """Return the ``UNAUTHENTICATED`` error of a token that is not valid."""
    return ApiError(ErrorCode.UNAUTHENTICATED, "The bearer token is not valid.")


@contextmanager
def token_checked_first(token: str | None) -> Iterator[None]:
    """Check ``token`` before an API error of the block is raised, as if checked beforehand.

    A write that checks its token in its own statement validates its input first; a client
    without a valid token still gets ``UNAUTHENTICATED``, not the input's error.
    """
    try:
        yield
    except ApiError:
        if token is not None and not token_is_valid(token=token):
            raise invalid_token() from None
        raise
