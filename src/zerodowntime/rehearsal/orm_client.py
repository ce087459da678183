"""The child process of the generic rehearsal, run with one release's code (``python -m``).

``populate [N | app.Model=N ...]`` fills the project's models with generated rows and prints
the counts and the models left out as JSON. ``traffic --rate R --seed S --origin T --out FILE
[--exclude app.Model ...]`` sends ORM traffic (:mod:`zerodowntime.rehearsal.orm_traffic`) on
the models it can make until SIGTERM, appending one JSON line per operation to FILE after a
first line that says it is ready (with the models it left out); ``--origin`` is the parent's
``time.monotonic()`` at its clock's zero, so times in FILE are on the parent's clock. An error
the user can fix ends the process with that sentence alone on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m zerodowntime.rehearsal.orm_client")
    commands = parser.add_subparsers(dest="command", required=True)
    populate = commands.add_parser("populate", help="fill every project model")
    populate.add_argument("rows", nargs="*", help="N (every model) or app.Model=N")
    traffic = commands.add_parser("traffic", help="send ORM traffic until SIGTERM")
    traffic.add_argument("--rate", type=float, required=True)
    traffic.add_argument("--seed", type=int, default=0)
    traffic.add_argument("--origin", type=float, required=True)
    traffic.add_argument("--out", type=Path, required=True)
    traffic.add_argument("--exclude", action="append", default=[], metavar="app.Model")
    return parser.parse_args(argv)


def _populate(specs: list[str]) -> None:
    from zerodowntime import conf
    from zerodowntime.rehearsal.orm_models import parse_rows, populate, resolve_counts

    default, counts = parse_rows(specs)
    made, left_out = populate(resolve_counts(default, counts), conf.check_factories())
    print(json.dumps({"made": made, "left_out": left_out}))


def _traffic(rate: float, seed: int, origin: float, out: Path, exclude: list[str]) -> None:
    from django.db import connections

    from zerodowntime import conf
    from zerodowntime.project_apps import project_models
    from zerodowntime.rehearsal.orm_models import RowsError, makeable
    from zerodowntime.rehearsal.orm_traffic import OrmTraffic

    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    factories = conf.check_factories()
    wanted = [m for m in project_models() if m._meta.label not in exclude]
    models, left_out = makeable(wanted, factories)
    if not models:
        raise RowsError(
            "the project apps of this release have no concrete model to send traffic to"
        )
    lock = threading.Lock()
    with out.open("a", encoding="utf-8") as handle:

        def sink(record: dict[str, Any]) -> None:
            line = json.dumps(record, default=str)
            with lock:
                handle.write(line + "\n")
                handle.flush()

        release = os.environ.get("ZDT_RELEASE", "")
        labels = [m._meta.label for m in models]
        sink({"ready": True, "release": release, "models": labels, "left_out": left_out})
        traffic = OrmTraffic(
            models,
            rate=rate,
            seed=seed,
            clock=lambda: time.monotonic() - origin,
            sink=sink,
            factories=factories,
        )
        traffic.run(stop)
    connections.close_all()


def main(argv: list[str] | None = None) -> int:
    """Run the command of ``argv``; return the exit status."""
    args = _arguments(argv)
    import django

    from zerodowntime.rehearsal.orm_models import RowsError

    django.setup()
    try:
        if args.command == "populate":
            _populate(args.rows)
        else:
            _traffic(args.rate, args.seed, args.origin, args.out, args.exclude)
    except RowsError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
