"""Refuse to run concurrent operations where PostgreSQL would reject or serialize them."""

from __future__ import annotations

from typing import Any

from zerodowntime.operations.exceptions import TransactionNotAllowed


def ensure_not_in_transaction(operation: Any, schema_editor: Any) -> None:
    """Raise TransactionNotAllowed when the migration is atomic or a transaction is open.

    The zero-downtime backend runs statements in autocommit even in an atomic migration; the
    migration's own flag (``schema_editor.atomic_requested``) is checked too, so a migration that
    builds an index concurrently says so (``atomic = False``) and works on any backend.
    """
    atomic = schema_editor.connection.in_atomic_block or getattr(
        schema_editor, "atomic_requested", False
    )
    if atomic:
        raise TransactionNotAllowed(
            f"The {type(operation).__name__} operation cannot be executed inside a transaction "
            "(set atomic = False on the migration)."
        )
