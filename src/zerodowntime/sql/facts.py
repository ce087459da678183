"""The facts a parsed statement yields: what it changes, on which relation, under which lock."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Lock(IntEnum):
    """A PostgreSQL table lock mode, ordered from none to the strongest."""

    NONE = 0
    ACCESS_SHARE = 1
    ROW_SHARE = 2
    ROW_EXCLUSIVE = 3
    SHARE_UPDATE_EXCLUSIVE = 4
    SHARE = 5
    SHARE_ROW_EXCLUSIVE = 6
    EXCLUSIVE = 7
    ACCESS_EXCLUSIVE = 8

    def __str__(self) -> str:
        """Return the mode as PostgreSQL's documentation spells it (``ACCESS EXCLUSIVE``)."""
        return self.name.replace("_", " ")

    @property
    def lock_mode_name(self) -> str:
        """Return the mode as ``pg_locks.mode`` spells it (``AccessExclusiveLock``)."""
        return "".join(word.capitalize() for word in self.name.split("_")) + "Lock"

    @property
    def blocks_writes(self) -> bool:
        """Return True when the mode conflicts with the ROW EXCLUSIVE lock of INSERT/UPDATE."""
        return self >= Lock.SHARE

    @property
    def conflicts_with_autovacuum(self) -> bool:
        """Return True when the mode conflicts with the SHARE UPDATE EXCLUSIVE lock of VACUUM."""
        return self >= Lock.SHARE_UPDATE_EXCLUSIVE

    @property
    def blocks_reads(self) -> bool:
        """Return True when the mode conflicts with the ACCESS SHARE lock of a SELECT."""
        return self is Lock.ACCESS_EXCLUSIVE


class Kind(StrEnum):
    """What a statement (or one action of an ALTER TABLE) does."""

    CREATE_TABLE = "create table"
    DROP_TABLE = "drop table"
    RENAME_TABLE = "rename table"
    CREATE_INDEX = "create index"
    DROP_INDEX = "drop index"
    REINDEX = "reindex"
    ADD_COLUMN = "add column"
    DROP_COLUMN = "drop column"
    RENAME_COLUMN = "rename column"
    ALTER_TYPE = "alter column type"
    SET_NOT_NULL = "set not null"
    DROP_NOT_NULL = "drop not null"
    ADD_UNIQUE = "add unique/primary key"
    ADD_CHECK = "add check"
    ADD_FOREIGN_KEY = "add foreign key"
    VALIDATE = "validate constraint"
    DROP_CONSTRAINT = "drop constraint"
    ALTER_OTHER = "alter table"
    TRIGGER = "create/drop trigger"
    FUNCTION = "create/drop function"
    LOCK_TABLE = "lock/truncate"
    DML = "data change"
    LOCK_TIMEOUT = "set lock_timeout"
    SETTING = "session setting"
    OTHER_DDL = "other ddl"
    OTHER = "other"
    UNPARSED = "unparsed"


class Constraint(StrEnum):
    """The kind of a constraint a statement adds."""

    CHECK = "check"
    FOREIGN_KEY = "foreign key"
    UNIQUE = "unique"
    PRIMARY_KEY = "primary key"
    EXCLUSION = "exclusion"
    NOT_NULL = "not null"


@dataclass(frozen=True, order=True)
class Relation:
    """A table or index name as PostgreSQL resolves it (unquoted names are lower case)."""

    name: str
    schema: str | None = None

    def __str__(self) -> str:
        """Return the name, schema-qualified when it was, each part quoted."""
        parts = [self.schema, self.name] if self.schema else [self.name]
        return ".".join('"{}"'.format(part.replace('"', '""')) for part in parts)


@dataclass(frozen=True)
class Change:
    """One action of a statement, with the names, flags and lock the rules need.

    ``lock`` is the lock the action takes on ``relation``; a foreign key also takes
    SHARE ROW EXCLUSIVE on each of ``references``. ``value`` holds a rename's new name, an altered
    column's new type, or a setting's value.
    """

    kind: Kind
    relation: Relation | None = None
    lock: Lock = Lock.NONE
    column: str | None = None
    name: str | None = None
    concurrently: bool = False
    unique: bool = False
    not_null: bool = False
    has_default: bool = False
    volatile_default: bool = False
    not_valid: bool = False
    constraint: Constraint | None = None
    using_index: str | None = None
    references: tuple[Relation, ...] = ()
    value: str | None = None

    @property
    def table(self) -> str | None:
        """Return the bare name of the relation acted on, or None."""
        return self.relation.name if self.relation else None


@dataclass(frozen=True)
class Statement:
    """One statement of a script: its text and the changes it makes (``error`` if unparsed)."""

    sql: str
    changes: tuple[Change, ...]
    error: str | None = None

    @property
    def locks(self) -> dict[Relation, Lock]:
        """Return the strongest lock the statement takes on each relation it names."""
        locks: dict[Relation, Lock] = {}
        for change in self.changes:
            taken = [(change.relation, change.lock)]
            taken += [(table, Lock.SHARE_ROW_EXCLUSIVE) for table in change.references]
            for relation, lock in taken:
                if relation is not None:
                    locks[relation] = max(lock, locks.get(relation, Lock.NONE))
        return locks

    @property
    def lock(self) -> Lock:
        """Return the strongest lock the statement takes on any relation."""
        return max(
            [change.lock for change in self.changes] + list(self.locks.values()),
            default=Lock.NONE,
        )

    @property
    def tables(self) -> tuple[Relation, ...]:
        """Return the relations the statement touches, in the order it names them."""
        return tuple(self.locks)

    @property
    def autovacuum_conflicts(self) -> tuple[Relation, ...]:
        """Return the relations the statement locks in a mode autovacuum's lock conflicts with."""
        return tuple(rel for rel, lock in self.locks.items() if lock.conflicts_with_autovacuum)

    @property
    def is_setting(self) -> bool:
        """Return True for SET, RESET and SET CONSTRAINTS, which change only the session."""
        return bool(self.changes) and all(
            change.kind in {Kind.LOCK_TIMEOUT, Kind.SETTING} for change in self.changes
        )
