"""The errors the app servers hit, read from their logs (clients only see "Internal error.").

An app server logs a request's unexpected exception with its Python traceback. The line that
ends a traceback, ``package.ExceptionClass: message``, carries the real cause (for a database
error, PostgreSQL's own text, e.g. ``column product_product.created does not exist``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

TRACEBACK_START = "Traceback (most recent call last):"
EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w]*\.)*[A-Za-z_]\w*: (?P<message>.+)$")


def traceback_messages(lines: Iterable[str]) -> list[str]:
    """Return the message of the exception that ends each traceback in ``lines``."""
    messages: list[str] = []
    inside = False
    for line in lines:
        if line.startswith(TRACEBACK_START):
            inside = True
            continue
        if not inside or line.startswith((" ", "\t")) or not line.strip():
            continue
        inside = False
        match = EXCEPTION_LINE.match(line.strip())
        if match:
            messages.append(match["message"].strip())
    return messages


def server_errors(logs: Iterable[Path]) -> list[str]:
    """Return the distinct error messages of the tracebacks in ``logs``, most frequent first."""
    counts: Counter[str] = Counter()
    for log in logs:
        try:
            text = log.read_text(errors="replace")
        except OSError:
            continue
        counts.update(traceback_messages(text.splitlines()))
    return [message for message, _ in counts.most_common()]
