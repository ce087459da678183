"""Migration operations that change a busy PostgreSQL table without long locks."""

from zerodowntime.operations.constraints import AttachUniqueConstraint
from zerodowntime.operations.exceptions import (
    IndexNotUsable,
    NullValuesRemain,
    TransactionNotAllowed,
    UnsupportedChange,
)
from zerodowntime.operations.indexes import CreateIndexConcurrently, CreateUniqueIndexConcurrently
from zerodowntime.operations.not_null import SetNotNullSafely

__all__ = [
    "AttachUniqueConstraint",
    "CreateIndexConcurrently",
    "CreateUniqueIndexConcurrently",
    "IndexNotUsable",
    "NullValuesRemain",
    "SetNotNullSafely",
    "TransactionNotAllowed",
    "UnsupportedChange",
]
