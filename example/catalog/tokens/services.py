"""Create and verify API tokens."""

from __future__ import annotations

import hashlib
import secrets

from catalog.tokens.models import ApiToken

TOKEN_PREFIX = "zdt_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(*, name: str) -> str:
    """Create a token and return it in clear: the only time it is available."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(name=name, key_hash=_hash(token))
    return token


def token_is_valid(*, token: str) -> bool:
    """Return True when ``token`` matches a stored token."""
    return bool(token) and ApiToken.objects.filter(key_hash=_hash(token)).exists()


def bearer_token(authorization_header: str | None) -> str | None:
    """Return the token of an ``Authorization: Bearer <token>`` header, if any."""
    if not authorization_header:
        return None
    scheme, _, token = authorization_header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
