"""Classify PostgreSQL statements into the actions the migration rules reason about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import sqlparse


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
    ADD_UNIQUE = "add unique/primary key"
    ADD_CHECK = "add check"
    ADD_FOREIGN_KEY = "add foreign key"
    VALIDATE = "validate constraint"
    DROP_CONSTRAINT = "drop constraint"
    ALTER_OTHER = "alter table"
    TRIGGER = "create/drop trigger"
    LOCK_TABLE = "lock/truncate"
    DML = "data change"
    LOCK_TIMEOUT = "set lock_timeout"
    OTHER_DDL = "other ddl"
    OTHER = "other"


#: Actions that take a lock blocking reads or writes of an existing table while they wait.
STRONG_LOCK = frozenset(
    {
        Kind.DROP_TABLE,
        Kind.RENAME_TABLE,
        Kind.ADD_COLUMN,
        Kind.DROP_COLUMN,
        Kind.RENAME_COLUMN,
        Kind.ALTER_TYPE,
        Kind.SET_NOT_NULL,
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
    Kind.OTHER_DDL,
}


@dataclass(frozen=True)
class Action:
    """One action of a statement, with the names and flags the rules need."""

    kind: Kind
    table: str | None = None
    column: str | None = None
    name: str | None = None
    concurrently: bool = False
    not_null: bool = False
    has_default: bool = False
    not_valid: bool = False
    using_index: str | None = None
    value: str | None = None


_NAME = r"((?:\w+\.)?\w+)"


def normalize(sql: str) -> str:
    """Return ``sql`` without comments, double quotes, trailing semicolon and extra spaces."""
    text = sqlparse.format(sql, strip_comments=True)
    text = re.sub(r"\s+", " ", text.replace('"', "")).strip()
    return text.rstrip(";").strip()


def _name(raw: str | None) -> str | None:
    return raw.split(".")[-1].lower() if raw else None


def split_top_level(text: str) -> list[str]:
    """Split ``text`` on commas that are outside parentheses and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


_NOT_NULL_CHECK = re.compile(r"^\(*\s*(\w+)\s+IS\s+NOT\s+NULL\s*\)*$", re.I)


def _alter_action(table: str, text: str) -> Action:
    flags = re.I
    if m := re.match(rf"ADD CONSTRAINT {_NAME} (UNIQUE|PRIMARY KEY)\b(.*)$", text, flags):
        using = re.search(rf"USING INDEX {_NAME}", m.group(3), flags)
        return Action(
            Kind.ADD_UNIQUE,
            table,
            name=_name(m.group(1)),
            using_index=_name(using.group(1) if using else None),
        )
    if m := re.match(r"ADD (?:CONSTRAINT (\S+) )?CHECK \((.*)\)(.*)$", text, flags):
        column = _NOT_NULL_CHECK.match(m.group(2).strip())
        return Action(
            Kind.ADD_CHECK,
            table,
            name=_name(m.group(1)),
            column=column.group(1).lower() if column else None,
            not_valid="NOT VALID" in m.group(3).upper(),
        )
    if m := re.match(r"ADD (?:CONSTRAINT (\S+) )?FOREIGN KEY(.*)$", text, flags):
        return Action(
            Kind.ADD_FOREIGN_KEY,
            table,
            name=_name(m.group(1)),
            not_valid="NOT VALID" in m.group(2).upper(),
        )
    if m := re.match(r"ADD (UNIQUE|PRIMARY KEY)\b", text, flags):
        return Action(Kind.ADD_UNIQUE, table)
    if re.match(r"ADD CONSTRAINT ", text, flags):
        return Action(Kind.ALTER_OTHER, table)
    if m := re.match(r"ADD (?:COLUMN )?(?:IF NOT EXISTS )?(\w+) (.*)$", text, flags):
        rest = m.group(2).upper()
        return Action(
            Kind.ADD_COLUMN,
            table,
            column=m.group(1).lower(),
            not_null="NOT NULL" in rest or "PRIMARY KEY" in rest,
            has_default=" DEFAULT " in f" {rest} " or "GENERATED" in rest,
        )
    if m := re.match(r"VALIDATE CONSTRAINT (\S+)", text, flags):
        return Action(Kind.VALIDATE, table, name=_name(m.group(1)))
    if m := re.match(r"DROP CONSTRAINT (?:IF EXISTS )?(\S+)", text, flags):
        return Action(Kind.DROP_CONSTRAINT, table, name=_name(m.group(1)))
    if m := re.match(r"ALTER (?:COLUMN )?(\w+) SET NOT NULL", text, flags):
        return Action(Kind.SET_NOT_NULL, table, column=m.group(1).lower())
    if m := re.match(r"ALTER (?:COLUMN )?(\w+) (?:SET DATA )?TYPE (.*)$", text, flags):
        return Action(Kind.ALTER_TYPE, table, column=m.group(1).lower(), value=m.group(2))
    if m := re.match(r"DROP (?:COLUMN )?(?:IF EXISTS )?(\w+)", text, flags):
        return Action(Kind.DROP_COLUMN, table, column=m.group(1).lower())
    if m := re.match(r"RENAME (?:COLUMN )?(\w+) TO (\w+)", text, flags):
        if m.group(1).upper() == "CONSTRAINT":
            return Action(Kind.ALTER_OTHER, table)
        return Action(Kind.RENAME_COLUMN, table, column=m.group(1).lower(), value=m.group(2))
    if m := re.match(rf"RENAME TO {_NAME}", text, flags):
        return Action(Kind.RENAME_TABLE, table, value=_name(m.group(1)))
    if re.match(r"RENAME CONSTRAINT", text, flags):
        return Action(Kind.ALTER_OTHER, table)
    return Action(Kind.ALTER_OTHER, table)


def _alter_table(text: str) -> list[Action]:
    m = re.match(rf"ALTER TABLE (?:IF EXISTS )?(?:ONLY )?{_NAME} (.*)$", text, re.I)
    if not m:
        return [Action(Kind.OTHER_DDL)]
    table = _name(m.group(1))
    assert table is not None
    return [_alter_action(table, action) for action in split_top_level(m.group(2))]


def classify(sql: str) -> list[Action]:
    """Return the actions of one SQL statement."""
    text = normalize(sql)
    upper = text.upper()
    flags = re.I
    if not text:
        return []
    if upper.startswith("ALTER TABLE"):
        return _alter_table(text)
    if m := re.match(rf"CREATE (?:UNLOGGED )?TABLE (?:IF NOT EXISTS )?{_NAME}", text, flags):
        return [Action(Kind.CREATE_TABLE, _name(m.group(1)))]
    pattern = (
        rf"CREATE (UNIQUE )?INDEX (CONCURRENTLY )?(?:IF NOT EXISTS )?(?:{_NAME} )?"
        rf"ON (?:ONLY )?{_NAME}"
    )
    if m := re.match(pattern, text, flags):
        return [
            Action(
                Kind.CREATE_INDEX,
                _name(m.group(4)),
                name=_name(m.group(3)),
                concurrently=bool(m.group(2)),
            )
        ]
    if m := re.match(rf"DROP INDEX (CONCURRENTLY )?(?:IF EXISTS )?{_NAME}", text, flags):
        return [Action(Kind.DROP_INDEX, name=_name(m.group(2)), concurrently=bool(m.group(1)))]
    if m := re.match(rf"REINDEX (?:\(.*?\) )?(?:INDEX|TABLE) (CONCURRENTLY )?{_NAME}", text, flags):
        return [Action(Kind.REINDEX, name=_name(m.group(2)), concurrently=bool(m.group(1)))]
    if m := re.match(rf"DROP TABLE (?:IF EXISTS )?{_NAME}", text, flags):
        return [Action(Kind.DROP_TABLE, _name(m.group(1)))]
    if m := re.match(rf"(?:CREATE (?:OR REPLACE )?|DROP )TRIGGER .*? ON {_NAME}", text, flags):
        return [Action(Kind.TRIGGER, _name(m.group(1)))]
    if m := re.match(rf"(?:LOCK|TRUNCATE) (?:TABLE )?(?:ONLY )?{_NAME}", text, flags):
        return [Action(Kind.LOCK_TABLE, _name(m.group(1)))]
    if m := re.match(r"SET (?:SESSION |LOCAL )?lock_timeout (?:TO|=) '?([^';]+)'?", text, flags):
        return [Action(Kind.LOCK_TIMEOUT, value=m.group(1).strip())]
    if re.match(r"RESET lock_timeout", text, flags):
        return [Action(Kind.LOCK_TIMEOUT, value="0")]
    if re.match(r"(?:WITH .*)?(?:UPDATE|INSERT|DELETE|COPY|MERGE)\b", text, flags):
        return [Action(Kind.DML)]
    if re.match(r"(?:CREATE|ALTER|DROP|COMMENT|GRANT|REVOKE)\b", text, flags):
        return [Action(Kind.OTHER_DDL)]
    return [Action(Kind.OTHER)]


def timeout_is_set(value: str | None) -> bool:
    """Return True when a ``lock_timeout`` value limits the wait (``0`` means forever)."""
    if value is None:
        return False
    digits = re.match(r"\s*(\d+(?:\.\d+)?)", value)
    return bool(digits) and float(digits.group(1)) > 0  # type: ignore[union-attr]
