"""Where ``zdt migrate`` sends its per-statement log: a file, or the console with ``-v``.

The DDL log (``zerodowntime.ddl``: each statement, its attempts and duration) and the background
migrations' log are detail: in a file by default, so the console shows one line per migration.
Their warnings (a lock timeout and its retry, a backfill left for the workers) still reach the
console.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from zerodowntime.services import state_dir

LOGGERS = ("zerodowntime.ddl", "zerodowntime.background")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def default_log_file() -> Path:
    """Return the log file of ``zdt migrate`` in the state directory."""
    return state_dir() / "logs" / "migrate.log"


@contextmanager
def statement_log(path: Path | None, *, verbose: bool) -> Iterator[Path | None]:
    """Send the statement loggers to ``path`` (default: the state directory's) inside the block.

    Yield the file, or None with ``verbose``: then every record goes to the console instead.
    """
    to_console = logging.StreamHandler(sys.stderr)
    to_console.setLevel(logging.INFO if verbose else logging.WARNING)
    to_console.setFormatter(logging.Formatter(FORMAT))
    handlers: list[logging.Handler] = [to_console]
    if not verbose:
        path = (path or default_log_file()).absolute()
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(path, encoding="utf-8"))
        handlers[-1].setFormatter(logging.Formatter(FORMAT))
    saved = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.propagate, logger.level))
        logger.propagate = False
        logger.setLevel(logging.INFO)
        for handler in handlers:
            logger.addHandler(handler)
    try:
        yield None if verbose else path
    finally:
        for logger, propagate, level in saved:
            for handler in handlers:
                logger.removeHandler(handler)
            logger.propagate, logger.level = propagate, level
        for handler in handlers:
            handler.close()
