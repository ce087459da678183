"""One readable line per migration: what it did, its strongest lock and how long it was held.

The statements of a migration are the :class:`zerodowntime.ddl.StatementRecord` s run while it
was applied; PostgreSQL's parser (:mod:`zerodowntime.sql`) gives each one's lock. A lock taken
inside the migration's transaction is held until the migration commits; outside one (the
concurrent index builds), for the statement's own run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from zerodowntime.ddl import StatementRecord
from zerodowntime.sql import Lock, parse

DESCRIPTION_LIMIT = 60
# Django logs a statement with its parameters as placeholders (``DEFAULT %s``).
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?s")


@dataclass(frozen=True)
class MigrationLine:
    """What one applied (or unapplied) migration did to the database."""

    name: str
    description: str
    lock: Lock
    table: str | None
    held_seconds: float
    seconds: float
    statements: int

    def __str__(self) -> str:
        if self.lock is Lock.NONE:
            lock = "no table lock"
        else:
            lock = f"{self.lock} on {self.table}, held {_duration(self.held_seconds)}"
        return f"{self.name:<46} {self.description:<{DESCRIPTION_LIMIT}}  {lock}"


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1] + "…"


def summarize(
    name: str,
    descriptions: Sequence[str],
    records: Sequence[StatementRecord],
    *,
    finished_at: float,
    seconds: float,
) -> MigrationLine:
    """Return the line of migration ``name`` from the records of the statements it ran.

    ``finished_at`` is the wall-clock time (``time.time()``) the migration committed.
    """
    strongest, table, held = Lock.NONE, None, 0.0
    for record in records:
        for statement in parse(PLACEHOLDER.sub("NULL", record.sql)):
            if statement.is_setting:
                continue
            for relation, lock in statement.locks.items():
                # In a transaction the lock is held until the commit, else for the statement.
                if record.in_transaction:
                    hold = finished_at - record.started_at
                else:
                    hold = record.run_seconds
                if (lock, hold) > (strongest, held):
                    strongest, table, held = lock, relation.name, max(hold, 0.0)
    description = _short("; ".join(descriptions) or "nothing")
    return MigrationLine(name, description, strongest, table, held, seconds, len(records))
