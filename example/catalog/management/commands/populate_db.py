"""``manage.py populate_db``: append generated products with PostgreSQL COPY.

The columns follow the running release's ``Product`` model: name and description always,
``created`` / ``created_at`` when the model has them, ``slug`` (made unique per chunk by
``catalog.common.slugs.bulk_unique_slugs``) when it has one. Columns with a database default or
that accept NULL are left to the database. Rows are generated and streamed chunk by chunk, so
memory stays flat whatever the amount; everything is written in one transaction.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, closing, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from queue import Full, Queue
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.db.models.fields import NOT_PROVIDED
from psycopg import sql
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from catalog.common.fake_products import ProductFaker, TimestampSpread

DEFAULT_AMOUNT = 1_000_000
MAX_AMOUNT = 5_000_000
DEFAULT_CHUNK_SIZE = 10_000
MAX_CHUNK_SIZE = 100_000
TIMESTAMP_FIELDS = ("created", "created_at")
NULL = "\\N"
PREFETCH_DEPTH = 2

T = TypeVar("T")


def check_amount(amount: int) -> int:
    """Return ``amount`` when it is a row count populate_db accepts; raise ValueError if not."""
    if amount <= 0:
        raise ValueError(f"--amount must be a positive number of rows, not {amount}.")
    if amount > MAX_AMOUNT:
        raise ValueError(
            f"--amount {amount:,} is above the maximum of {MAX_AMOUNT:,} rows;"
            " run populate_db several times to load more."
        )
    return amount


@dataclass(frozen=True)
class CopyPlan:
    """The table and columns one COPY writes, in the order each row gives them."""

    table: str
    slug_column: str | None
    timestamp_columns: tuple[str, ...]
    name_column: str = "name"
    description_column: str = "description"

    @property
    def columns(self) -> tuple[str, ...]:
        """Return the column names in row order."""
        slug = (self.slug_column,) if self.slug_column else ()
        return (self.name_column, self.description_column, *slug, *self.timestamp_columns)

    def statement(self) -> sql.Composed:
        """Return the ``COPY ... FROM STDIN`` statement for these columns."""
        return sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(self.table), sql.SQL(", ").join(map(sql.Identifier, self.columns))
        )


def _left_to_database(field: models.Field[Any, Any]) -> bool:
    return field.primary_key or field.db_default is not NOT_PROVIDED or field.null


def plan_copy(model: type[models.Model]) -> CopyPlan:
    """Return the COPY plan for ``model``; raise ValueError for a column it cannot fill."""
    fields = {field.name: field for field in model._meta.concrete_fields}
    for required in ("name", "description"):
        if required not in fields:
            raise ValueError(f"{model.__name__} has no `{required}` field to populate.")
    known = {"name", "description", "slug", *TIMESTAMP_FIELDS}
    for field in fields.values():
        if field.name not in known and not _left_to_database(field):
            raise ValueError(
                f"populate_db cannot fill {model._meta.db_table}.{field.column}: give it a"
                " database default (db_default) or teach populate_db how to generate it."
            )
    slug = fields.get("slug")
    return CopyPlan(
        table=model._meta.db_table,
        slug_column=slug.column if slug else None,
        timestamp_columns=tuple(fields[n].column for n in TIMESTAMP_FIELDS if n in fields),
        name_column=fields["name"].column,
        description_column=fields["description"].column,
    )


def _copy_field(value: str) -> str:
    """Escape a value for COPY text format (only slugs need it: generated values are safe)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t")
        value = value.replace("\n", "\\n").replace("\r", "\\r")
    return value


@dataclass
class ChunkSource:
    """Generate the rows of a populate run as chunks of COPY text."""

    plan: CopyPlan
    amount: int
    chunk_size: int
    faker: ProductFaker
    timestamps: TimestampSpread
    make_slugs: Callable[[list[str]], list[str]] | None = None

    def chunks(self) -> Iterator[tuple[int, bytes]]:
        """Yield ``(row count, COPY text)`` for each chunk."""
        for first in range(0, self.amount, self.chunk_size):
            count = min(self.chunk_size, self.amount - first)
            yield count, self._encode(first, count)

    def _encode(self, first: int, count: int) -> bytes:
        names = self.faker.names(count)
        descriptions = [NULL if d is None else d for d in self.faker.descriptions(count)]
        columns: list[list[str]] = [names, descriptions]
        if self.plan.slug_column:
            if self.make_slugs is None:
                raise ValueError("the model has a slug column but no slug maker was given")
            columns.append([_copy_field(slug) for slug in self.make_slugs(names)])
        stamps = self.timestamps.texts(first, count)
        columns.extend(stamps for _ in self.plan.timestamp_columns)
        return ("\n".join(map("\t".join, zip(*columns, strict=True))) + "\n").encode()


class RowsPerSecondColumn(ProgressColumn):
    """Render the task's speed as rows per second."""

    def render(self, task: Task) -> Text:
        """Return the current rate, or a dash before it is known."""
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "- rows/s", style="progress.data.speed")


def progress_bar(console: Console, *, disable: bool) -> Progress:
    """Return a progress display showing rows done, rows/s and the time left."""
    return Progress(
        TextColumn("[bold]Populating"),
        BarColumn(),
        MofNCompleteColumn(),
        RowsPerSecondColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=disable,
        refresh_per_second=4,
    )


def _slug_maker() -> Callable[[list[str]], list[str]]:
    from catalog.common.slugs import bulk_unique_slugs

    return bulk_unique_slugs


class Command(BaseCommand):
    help = (
        "Append generated products (varied names, short JSON descriptions) with PostgreSQL COPY."
        f" At most {MAX_AMOUNT:,} rows per run; existing rows are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--amount",
            "-n",
            type=int,
            default=DEFAULT_AMOUNT,
            help=f"Rows to append (1 to {MAX_AMOUNT:,}; default {DEFAULT_AMOUNT:,}).",
        )
        parser.add_argument(
            "--seed", type=int, default=None, help="Seed for reproducible names and descriptions."
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=DEFAULT_CHUNK_SIZE,
            help=f"Rows generated and sent at a time (default {DEFAULT_CHUNK_SIZE:,}, at most"
            f" {MAX_CHUNK_SIZE:,}).",
        )

    def handle(
        self,
        *args: Any,
        amount: int,
        seed: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        **options: Any,
    ) -> None:
        from catalog.models import Product

        try:
            check_amount(amount)
            if not 0 < chunk_size <= MAX_CHUNK_SIZE:
                raise ValueError(f"--chunk-size must be 1 to {MAX_CHUNK_SIZE:,}, not {chunk_size}.")
            plan = plan_copy(Product)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        source = ChunkSource(
            plan=plan,
            amount=amount,
            chunk_size=chunk_size,
            faker=ProductFaker(seed),
            timestamps=TimestampSpread(amount, end=datetime.now(UTC)),
            make_slugs=_slug_maker() if plan.slug_column else None,
        )
        console = Console(file=getattr(self.stderr, "_out", sys.stderr))
        started = time.perf_counter()
        with progress_bar(console, disable=options.get("verbosity", 1) < 1) as progress:
            task = progress.add_task("rows", total=amount)
            copy_rows(source, on_chunk=lambda rows: progress.advance(task, rows))
        elapsed = time.perf_counter() - started
        noun = "product" if amount == 1 else "products"
        self.stdout.write(
            f"Added {amount:,} {noun} to {plan.table} in {elapsed:.1f} s"
            f" ({amount / elapsed:,.0f} rows/s)."
        )


@dataclass(frozen=True)
class _End:
    error: BaseException | None = None


def prefetch(items: Iterable[T], depth: int = PREFETCH_DEPTH) -> Iterator[T]:
    """Yield ``items`` while a background thread already produces the next ``depth`` ones.

    The producer stops when the consumer stops early; its exception is re-raised here.
    """
    queue: Queue[T | _End] = Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: T | _End) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed over to the consumer thread
            put(_End(exc))
        else:
            put(_End())

    thread = threading.Thread(target=produce, name="populate-db-rows", daemon=True)
    thread.start()
    try:
        while not isinstance(item := queue.get(), _End):
            yield item
        if item.error is not None:
            raise item.error
    finally:
        stop.set()
        thread.join()


def copy_rows(source: ChunkSource, *, on_chunk: Callable[[int], object]) -> None:
    """Write every chunk of ``source`` in one transaction.

    Without slugs all chunks stream through one COPY while a thread generates the next
    chunks. With slugs each chunk gets its own COPY, so that ``bulk_unique_slugs`` can query
    the rows of earlier chunks (on this connection, in this thread) between them.
    """
    statement = source.plan.statement()
    per_chunk = source.plan.slug_column is not None
    chunks = source.chunks() if per_chunk else prefetch(source.chunks())
    with closing(chunks), transaction.atomic(), connection.cursor() as cursor:
        shared: AbstractContextManager[Any] = nullcontext() if per_chunk else cursor.copy(statement)
        with shared as stream:
            for rows, data in chunks:
                if per_chunk:
                    with cursor.copy(statement) as chunk_stream:
                        chunk_stream.write(data)
                else:
                    stream.write(data)
                on_chunk(rows)
