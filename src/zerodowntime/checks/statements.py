"""Group the changes PostgreSQL's parser reads from a statement the way the migration rules do."""

from __future__ import annotations

from zerodowntime.sql import Change, Kind, changes_of

#: One change of a statement, as the rules see it.
Action = Change

#: Actions that may take a lock blocking reads or writes of an existing table (their ``lock``
#: says whether this one does: ``ALTER TABLE t SET (fillfactor = 70)`` does not).
STRONG_LOCK = frozenset(
    {
        Kind.DROP_TABLE,
        Kind.RENAME_TABLE,
        Kind.ADD_COLUMN,
        Kind.DROP_COLUMN,
        Kind.RENAME_COLUMN,
        Kind.ALTER_TYPE,
        Kind.SET_NOT_NULL,
        Kind.DROP_NOT_NULL,
        Kind.ADD_UNIQUE,
        Kind.ADD_CHECK,
        Kind.ADD_FOREIGN_KEY,
        Kind.DROP_CONSTRAINT,
        Kind.ALTER_OTHER,
        Kind.TRIGGER,
        Kind.LOCK_TABLE,
    }
)
DDL = STRONG_LOCK | {
    Kind.CREATE_TABLE,
    Kind.CREATE_INDEX,
    Kind.DROP_INDEX,
    Kind.REINDEX,
    Kind.VALIDATE,
    Kind.FUNCTION,
    Kind.OTHER_DDL,
}


def classify(sql: str) -> list[Action]:
    """Return the actions of every statement of ``sql``, in order."""
    return changes_of(sql)


def timeout_is_set(value: str | None) -> bool:
    """Return True when a ``lock_timeout`` value limits the wait (``0`` means forever)."""
    if value is None:
        return False
    text = value.strip()
    number = text[: len(text) - len(text.lstrip("0123456789."))]
    try:
        return float(number) > 0
    except ValueError:
        return False
