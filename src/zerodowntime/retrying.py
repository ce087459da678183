"""Retry an action with back-off: the toolkit's one back-off formula and one retry loop.

The DDL runner (:mod:`zerodowntime.ddl`) keeps its own loop, bounded by a time budget and
naming its blockers, and takes its pauses from :func:`backoff`; :func:`retry` serves the
simpler case of a fixed number of tries.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def backoff(
    retry: int,
    *,
    base: float,
    cap: float = math.inf,
    jitter: float = 0.0,
    rng: Callable[[], float] = random.random,
) -> float:
    """Return the pause before retry number ``retry`` (1-based).

    It doubles from ``base``, stops growing at ``cap``, and is spread by up to ``jitter`` (a
    fraction, 0.5 = ±50 %) so that clients retrying together do not stay in step.
    """
    nominal = min(cap, base * 2 ** (retry - 1))
    return max(0.0, nominal * (1 + jitter * (2 * rng() - 1)))


def retry(
    action: Callable[[], T],
    *,
    tries: int,
    retry_if: Callable[[Exception], bool],
    pause: Callable[[int], float],
    before_retry: Callable[[Exception, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Return what ``action`` returns, calling it up to ``tries`` times.

    An exception for which ``retry_if`` is true is retried, after ``before_retry(error,
    retry)`` and a pause of ``pause(retry)`` seconds (``retry`` counts from 1); any other
    exception, or one raised by the last try, propagates.
    """
    for number in range(1, tries + 1):
        try:
            return action()
        except Exception as error:
            if number == tries or not retry_if(error):
                raise
            if before_retry is not None:
                before_retry(error, number)
            sleep(pause(number))
    raise ValueError(f"tries must be at least 1, not {tries}")
