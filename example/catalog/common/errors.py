"""Stable GraphQL error codes and the exception that carries them."""

from __future__ import annotations

from enum import StrEnum

from graphql import GraphQLError


class ErrorCode(StrEnum):
    """The documented ``extensions.code`` values of the API."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    INVALID_ID = "INVALID_ID"
    NOT_FOUND = "NOT_FOUND"
    INVALID_NAME = "INVALID_NAME"
    INVALID_DESCRIPTION = "INVALID_DESCRIPTION"
    INVALID_SLUG = "INVALID_SLUG"
    SLUG_TAKEN = "SLUG_TAKEN"
    INVALID_CURSOR = "INVALID_CURSOR"
    PAGE_TOO_LARGE = "PAGE_TOO_LARGE"
    INVALID_PAGE_SIZE = "INVALID_PAGE_SIZE"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    QUERY_TIMEOUT = "QUERY_TIMEOUT"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    # Answered with an HTTP error status (the request never reached GraphQL execution).
    INVALID_BODY = "INVALID_BODY"
    BODY_TOO_LARGE = "BODY_TOO_LARGE"
    BAD_REQUEST = "BAD_REQUEST"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"


class ApiError(GraphQLError):
    """A client error reported as a GraphQL error with a stable code; nothing was written."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message, extensions={"code": code.value})
        self.code = code


MASKED_MESSAGE = "Internal error."
"""What a client is told of a server error (the log has the rest)."""


def is_unexpected(error: GraphQLError) -> bool:
    """Return True for a server error: neither an API error nor a GraphQL (validation) error."""
    original = error.original_error
    return original is not None and not isinstance(original, ApiError | GraphQLError)
