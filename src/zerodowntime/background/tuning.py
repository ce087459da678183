"""Choose the next batch size from how long the last batch took (pure, no I/O)."""

from __future__ import annotations

MAX_GROWTH = 2.0


def next_batch_size(
    last_size: int,
    last_seconds: float,
    *,
    target_seconds: float,
    minimum: int,
    maximum: int,
    max_growth: float = MAX_GROWTH,
) -> int:
    """Return the size that should make the next batch last about ``target_seconds``.

    The size scales with ``target_seconds / last_seconds``, changes by at most ``max_growth``
    times per batch (one odd batch must not swing it wildly), and stays in ``[minimum, maximum]``.
    """
    if minimum < 1 or maximum < minimum:
        raise ValueError(f"need 1 <= minimum <= maximum, got {minimum} and {maximum}")
    if target_seconds <= 0 or max_growth < 1:
        raise ValueError("target_seconds must be positive and max_growth at least 1")
    ratio = max_growth if last_seconds <= 0 else target_seconds / last_seconds
    ratio = min(max_growth, max(1 / max_growth, ratio))
    return max(minimum, min(maximum, round(last_size * ratio)))
