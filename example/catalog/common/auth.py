"""Require a valid bearer token for mutations."""

from __future__ import annotations

from typing import Any

from catalog.common.errors import ApiError, ErrorCode
from catalog.tokens.services import bearer_token, token_is_valid


def require_token(info: Any) -> None:
    """Raise ``UNAUTHENTICATED`` unless the request carries a valid bearer token."""
    request = info.context.request
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        raise ApiError(
            ErrorCode.UNAUTHENTICATED, "This mutation needs `Authorization: Bearer <token>`."
        )
    if not token_is_valid(token=token):
        raise ApiError(ErrorCode.UNAUTHENTICATED, "The bearer token is not valid.")
