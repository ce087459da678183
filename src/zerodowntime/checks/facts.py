"""Facts gathered in child processes (migration SQL, schemas, release models) as JSON-able data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

UNRELEASED = "unreleased"
# The schema after every migration of the working tree (``zdt check --since REF``).
WORKING_TREE = "working tree"


@dataclass
class OperationSQL:
    """The SQL one migration operation emits (``index`` None: SQL deferred to the end)."""

    index: int | None
    description: str
    python: bool = False
    statements: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class MigrationCapture:
    """One migration of the release app: its flags, silences and per-operation SQL."""

    app_label: str
    name: str
    release: str
    atomic: bool
    silences: dict[str, str] = field(default_factory=dict)
    operations: list[OperationSQL] = field(default_factory=list)
    python_sql: list[str] = field(default_factory=list)  # data SQL its Python code ran
    python_sql_runs: dict[str, int] = field(default_factory=dict)  # of those, run twice or more

    @property
    def key(self) -> str:
        """Return ``app_label.name``."""
        return f"{self.app_label}.{self.name}"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MigrationCapture:
        """Return a capture from its JSON form."""
        operations = [OperationSQL(**op) for op in data.pop("operations")]
        return cls(**data, operations=operations)


@dataclass
class Column:
    """A database column as PostgreSQL reports it."""

    name: str
    type: str
    nullable: bool
    default: str | None
    generated: bool = False


@dataclass
class Table:
    """A database table: its columns and the columns BEFORE-row triggers assign."""

    name: str
    columns: dict[str, Column]
    trigger_filled: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Table:
        """Return a table from its JSON form."""
        columns = {name: Column(**column) for name, column in data["columns"].items()}
        return cls(data["name"], columns, list(data.get("trigger_filled", [])))


@dataclass
class ChainCapture:
    """Everything the migration chain of the release app really does, release by release."""

    app_label: str
    releases: list[str]
    migrations: list[MigrationCapture]
    schemas: dict[str, dict[str, Table]]
    failure: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChainCapture:
        """Return a chain capture from its JSON form."""
        return cls(
            app_label=data["app_label"],
            releases=list(data["releases"]),
            migrations=[MigrationCapture.from_dict(dict(m)) for m in data["migrations"]],
            schemas={
                release: {name: Table.from_dict(t) for name, t in tables.items()}
                for release, tables in data["schemas"].items()
            },
            failure=data.get("failure"),
        )


@dataclass
class ModelColumn:
    """A column a release's model reads and writes."""

    column: str
    null: bool
    has_default: bool


@dataclass
class OperationFailure:
    """A database error a release's code met: the model, the operation and the SQL that failed.

    ``table`` and ``column`` are where PostgreSQL says it failed (the model's table when it
    does not say); ``operation`` is ``create``, ``read``, ``update`` or ``delete``.
    """

    model: str
    operation: str
    error: str
    sql: str | None
    table: str
    column: str | None = None
    sqlstate: str | None = None


@dataclass
class Execution:
    """What running a release's ORM code against a schema did, model by model."""

    exercised: list[str] = field(default_factory=list)
    failures: list[OperationFailure] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # model -> why it was not run

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Execution:
        """Return an execution from its JSON form."""
        failures = [OperationFailure(**failure) for failure in data["failures"]]
        return cls(list(data["exercised"]), failures, dict(data["skipped"]))


@dataclass
class ReleaseFacts:
    """What one release's code uses (its models' columns per table, its GraphQL SDL) and does.

    ``models`` names the model of each table; ``execution`` is set for the code of
    ``zdt check --since REF``, run on the new schema.
    """

    version: str
    tables: dict[str, list[ModelColumn]]
    sdl: str | None = None
    execution: Execution | None = None
    models: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReleaseFacts:
        """Return release facts from their JSON form."""
        tables = {
            table: [ModelColumn(**column) for column in columns]
            for table, columns in data["tables"].items()
        }
        execution = data.get("execution")
        return cls(
            data["version"],
            tables,
            data.get("sdl"),
            Execution.from_dict(execution) if execution else None,
            dict(data.get("models", {})),
        )
