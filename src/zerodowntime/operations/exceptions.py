"""Errors the safe operations raise; each message says what to change."""

from __future__ import annotations


class TransactionNotAllowed(RuntimeError):
    """A concurrent operation was asked to run inside a transaction."""


class IndexNotUsable(ValueError):
    """An index is missing, INVALID or belongs to another table."""


class NullValuesRemain(ValueError):
    """A column still holds NULLs, so NOT NULL cannot be set."""


class UnsupportedChange(ValueError):
    """An operation was given a change it does not make safely, or a backend it cannot use."""
