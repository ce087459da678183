"""Wait until a condition holds, polling it until a deadline: the toolkit's one waiting loop."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal, TypeVar

T = TypeVar("T")


class WaitTimeout(TimeoutError):
    """A condition was still false when its deadline passed."""


def wait_until(
    predicate: Callable[[], T | None | Literal[False]],
    *,
    timeout: float,
    interval: float = 0.1,
    what: str,
) -> T:
    """Call ``predicate`` until it returns a truthy value, and return that value.

    The predicate runs at least once, then every ``interval`` seconds; an exception it raises
    ends the wait. Raise :class:`WaitTimeout` with the sentence "``what`` within ``timeout`` s"
    (so ``what`` reads as what did not happen: "Redis did not accept connections") when it is
    still false after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimeout(f"{what} within {timeout:g} s")
        time.sleep(min(interval, remaining))
