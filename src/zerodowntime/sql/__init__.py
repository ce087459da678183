"""SQL read by PostgreSQL's own parser (pglast): statements, the changes they make, their locks.

One place where the toolkit understands SQL: the migration linter, the introspection helpers
and the schema editor all ask these pure functions instead of matching text.
"""

from zerodowntime.sql.facts import Change, Constraint, Kind, Lock, Relation, Statement
from zerodowntime.sql.parse import changes_of, normalize, parse, split
from zerodowntime.sql.plpgsql import assigned_new_columns
from zerodowntime.sql.scans import scanned_tables

__all__ = [
    "Change",
    "Constraint",
    "Kind",
    "Lock",
    "Relation",
    "Statement",
    "assigned_new_columns",
    "changes_of",
    "normalize",
    "parse",
    "scanned_tables",
    "split",
]
