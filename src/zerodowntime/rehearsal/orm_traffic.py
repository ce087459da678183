"""Generic traffic: create, read, update and delete instances of every project model via the ORM.

Runs in a process of one release's code (``orm_client``); instances are made as
:func:`~zerodowntime.rehearsal.orm_models.make` makes them. Operations leave at a fixed rate
(open loop: latency counts from each operation's scheduled time) and run on a pool of threads,
each with its own database connection. A process updates and deletes only the rows it created
itself, one operation per row at a time, so the last acknowledged operation on a row says what
the database must hold at the end; every operation is written out as it ends, with what it
acknowledged.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.db import close_old_connections, connection, models

from zerodowntime.rehearsal.orm_models import Model, checked_columns, first_line, make, new_values

# Shares of the operations; update and delete need a row of this process's own.
WEIGHTS = {"create": 3.0, "read": 4.0, "update": 2.0, "delete": 1.0}
READ_PAGE = 5

Sink = Callable[[dict[str, Any]], None]


@dataclass
class OwnRows:
    """The primary keys this process created and has not deleted, per model label."""

    _free: dict[str, list[Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, label: str, pk: Any) -> None:
        """Make ``pk`` available to later operations."""
        with self._lock:
            self._free.setdefault(label, []).append(pk)

    def any(self, label: str, rng: random.Random) -> Any | None:
        """Return one free key of ``label`` without taking it (None: there is none)."""
        with self._lock:
            free = self._free.get(label) or [None]
            return free[rng.randrange(len(free))]

    def take(self, label: str, rng: random.Random) -> Any | None:
        """Take one free key of ``label`` (no other operation gets it until it is added back)."""
        with self._lock:
            free = self._free.get(label)
            if not free:
                return None
            return free.pop(rng.randrange(len(free)))


def acknowledgement(
    kind: str, instance: models.Model, pk: Any, values: dict[str, Any]
) -> dict[str, Any]:
    """Return what an acknowledged write or delete says the database holds for one row."""
    meta = instance._meta
    return {
        "kind": kind,
        "model": meta.label,
        "table": meta.db_table,
        "pk_column": meta.pk.column if meta.pk else "id",
        "pk": str(pk),
        "values": values,
    }


class OrmTraffic:
    """Send ORM operations on ``models`` at ``rate`` per second until ``stop`` is set."""

    def __init__(
        self,
        models_: Sequence[Model],
        *,
        rate: float,
        seed: int,
        clock: Callable[[], float],
        sink: Sink,
        factories: Mapping[str, Callable[[], Any]] | None = None,
        threads: int = 8,
    ) -> None:
        self.models = list(models_)
        self.rate = rate
        self.clock = clock
        self.sink = sink
        self.threads = threads
        self.factories = factories or {}
        self.rows = OwnRows()
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()

    def run(self, stop: threading.Event) -> int:
        """Schedule operations until ``stop`` is set, end those running; return the count.

        Operations still queued behind busy threads when ``stop`` is set never start.
        """
        scheduled = 0
        first = self.clock()
        pool = ThreadPoolExecutor(self.threads, thread_name_prefix="zdt-orm")
        try:
            while not stop.is_set():
                due = first + scheduled / self.rate
                delay = due - self.clock()
                if delay > 0 and stop.wait(delay):
                    break
                model, operation = self._choose()
                scheduled += 1
                pool.submit(self._send, due, model, operation)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return scheduled

    def _choose(self) -> tuple[Model, str]:
        with self._rng_lock:
            model = self._rng.choice(self.models)
            names = list(WEIGHTS)
            operation = self._rng.choices(names, weights=[WEIGHTS[n] for n in names])[0]
        return model, operation

    def _send(self, due: float, model: Model, operation: str) -> None:
        started = self.clock()
        rng = random.Random(f"{due}:{model._meta.label}")
        pk = None
        if operation in ("update", "delete"):
            pk = self.rows.take(model._meta.label, rng)
            operation = operation if pk is not None else "create"
        ack: dict[str, Any] | None = None
        error: str | None = None
        try:
            ack = self._do(model, operation, pk, rng)
        except Exception as exc:  # every failure is recorded, never raised
            error = first_line(exc)
            close_old_connections()
            if connection.connection is not None and not connection.is_usable():
                connection.close()
        self.sink(
            {
                "scheduled": due,
                "started": started,
                "finished": self.clock(),
                "operation": f"{operation} {model._meta.label}",
                "ok": error is None,
                "error": error[:300] if error else None,
                "ack": ack,
            }
        )

    def _do(
        self, model: Model, operation: str, pk: Any | None, rng: random.Random
    ) -> dict[str, Any] | None:
        """Run one operation (on the own row ``pk`` for update and delete); return its ack."""
        label = model._meta.label
        if pk is not None:
            return self._change(model, operation, pk)
        if operation == "create":
            instance = make(model, self.factories)
            self.rows.add(label, instance.pk)
            return acknowledgement("write", instance, instance.pk, checked_columns(instance))
        list(model._default_manager.order_by("pk")[:READ_PAGE])
        own = self.rows.any(label, rng)
        if own is not None:
            model._default_manager.filter(pk=own).first()
        return None

    def _change(self, model: Model, operation: str, pk: Any) -> dict[str, Any] | None:
        """Update or delete the own row ``pk`` (given back unless deleted)."""
        deleted = False
        try:
            instance = model._default_manager.get(pk=pk)
            if operation == "delete":
                instance.delete()
                deleted = True
                return acknowledgement("delete", instance, pk, {})
            values = new_values(model)
            for attname, value in values.items():
                setattr(instance, attname, value)
            names = [f.name for f in model._meta.concrete_fields if f.attname in values]
            instance.save(update_fields=names or None)
            return acknowledgement("write", instance, pk, checked_columns(instance, list(values)))
        finally:
            if not deleted:
                self.rows.add(model._meta.label, pk)
