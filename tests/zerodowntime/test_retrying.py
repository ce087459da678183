"""backoff: doubling, capped, jittered pauses; retry: which errors are retried, how often."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from zerodowntime.retrying import backoff, retry


def test_backoff_doubles_up_to_the_cap() -> None:
    pauses = [backoff(n, base=0.5, cap=3, rng=lambda: 0.5) for n in (1, 2, 3, 4, 5)]
    assert pauses == [0.5, 1, 2, 3, 3]
    assert [backoff(n, base=0.1) for n in (1, 2, 3)] == pytest.approx([0.1, 0.2, 0.4])


def test_backoff_jitter_spreads_around_the_nominal_pause() -> None:
    assert backoff(1, base=0.5, jitter=0.5, rng=lambda: 0.0) == 0.25
    assert backoff(1, base=0.5, jitter=0.5, rng=lambda: 1.0) == 0.75
    assert backoff(1, base=0.5, jitter=0.5, rng=lambda: 0.5) == 0.5


class Flaky(Exception):
    pass


def _failing(times: int, error: Exception) -> tuple[list[int], Callable[[], str]]:
    calls: list[int] = []

    def action() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return "done"

    return calls, action


def test_retry_returns_after_retried_errors_with_the_pauses_between() -> None:
    calls, action = _failing(2, Flaky())
    slept: list[float] = []
    seen: list[int] = []
    result = retry(
        action,
        tries=3,
        retry_if=lambda e: isinstance(e, Flaky),
        pause=lambda n: backoff(n, base=0.1),
        before_retry=lambda error, n: seen.append(n),
        sleep=slept.append,
    )
    assert result == "done" and len(calls) == 3
    assert seen == [1, 2] and slept == pytest.approx([0.1, 0.2])


def test_retry_gives_up_after_the_last_try_and_on_other_errors() -> None:
    calls, action = _failing(5, Flaky("still"))
    with pytest.raises(Flaky, match="still"):
        retry(action, tries=3, retry_if=lambda e: True, pause=lambda n: 0, sleep=lambda s: None)
    assert len(calls) == 3
    calls, action = _failing(5, KeyError("other"))
    with pytest.raises(KeyError):
        retry(action, tries=3, retry_if=lambda e: isinstance(e, Flaky), pause=lambda n: 0)
    assert len(calls) == 1
