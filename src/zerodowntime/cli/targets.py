"""The ``zdt rehearse`` options that set the rehearsal's targets, passed on as one ``Targets``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from zerodowntime.rehearsal.verdict import Targets

F = TypeVar("F", bound=Callable[..., Any])
DEFAULTS = Targets()


def target_options(function: F) -> F:
    """Add the target options to a command; it receives them as ``targets: Targets``."""

    @wraps(function)
    def wrapper(
        *args: Any,
        max_failed: int,
        max_latency_ms: float,
        p99_ratio: float,
        integrity: bool,
        **kwargs: Any,
    ) -> Any:
        targets = Targets(max_failed, max_latency_ms, p99_ratio, integrity)
        return function(*args, targets=targets, **kwargs)

    options = [
        click.option(
            "--max-failed", default=DEFAULTS.max_failed, show_default=True,
            type=click.IntRange(min=0), help="Target: at most this many failed requests.",
        ),
        click.option(
            "--max-latency-ms", default=DEFAULTS.max_latency_ms, show_default=True,
            type=click.FloatRange(min=0), help="Target: no request slower (ms, whole run).",
        ),
        click.option(
            "--p99-ratio", default=DEFAULTS.p99_ratio, show_default=True,
            type=click.FloatRange(min=0),
            help="Target: p99 of each migrate/background phase at most this times the baseline's.",
        ),
        click.option(
            "--integrity/--no-integrity", default=DEFAULTS.integrity, show_default=True,
            help="Target: every integrity check passes.",
        ),
    ]  # fmt: skip
    decorated: Any = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated
