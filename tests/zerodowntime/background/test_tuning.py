"""The adaptive batch size."""

from __future__ import annotations

import pytest

from zerodowntime.background.tuning import next_batch_size

LIMITS = {"target_seconds": 0.2, "minimum": 100, "maximum": 10_000}


def test_a_batch_on_target_keeps_its_size() -> None:
    assert next_batch_size(1000, 0.2, **LIMITS) == 1000


def test_a_slow_batch_shrinks_the_next_in_proportion() -> None:
    assert next_batch_size(1000, 0.25, **LIMITS) == 800


def test_a_fast_batch_grows_the_next_but_at_most_twice() -> None:
    assert next_batch_size(1000, 0.15, **LIMITS) == 1333
    assert next_batch_size(1000, 0.001, **LIMITS) == 2000
    assert next_batch_size(1000, 0.0, **LIMITS) == 2000


def test_a_very_slow_batch_halves_the_next_at_most() -> None:
    assert next_batch_size(1000, 30.0, **LIMITS) == 500


def test_the_size_stays_within_its_bounds() -> None:
    assert next_batch_size(150, 10.0, **LIMITS) == 100
    assert next_batch_size(9000, 0.01, **LIMITS) == 10_000


def test_repeated_tuning_converges_to_the_rate_that_meets_the_target() -> None:
    size = 100
    for _ in range(20):
        size = next_batch_size(size, size / 25_000, **LIMITS)  # 25,000 rows/s
    assert size == 5000


@pytest.mark.parametrize(
    "limits",
    [
        {"target_seconds": 0.2, "minimum": 0, "maximum": 10},
        {"target_seconds": 0.2, "minimum": 50, "maximum": 10},
        {"target_seconds": 0.0, "minimum": 1, "maximum": 10},
    ],
)
def test_nonsense_limits_are_refused(limits: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        next_batch_size(10, 0.1, **limits)  # type: ignore[arg-type]
