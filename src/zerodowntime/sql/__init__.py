"""SQL read by PostgreSQL's own parser (pglast): statements, the changes they make, their locks.

One place where the toolkit understands SQL: the migration linter, the introspection helpers
and the schema editor all ask these pure functions instead of matching text.
"""

from zerodowntime.sql.facts import Change, Constraint, Kind, Lock, Relation, Statement
from zerodowntime.sql.parse import changes_of, normalize, parse, split

__all__ = [
    "Change",
    "Constraint",
    "Kind",
    "Lock",
    "Relation",
    "Statement",
    "changes_of",
    "normalize",
    "parse",
    "split",
]
