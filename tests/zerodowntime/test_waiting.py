"""wait_until: the value that ended the wait, the deadline, and the sentence naming what."""

from __future__ import annotations

import time

import pytest

from zerodowntime.waiting import WaitTimeout, wait_until


def test_returns_the_first_truthy_value_after_polling() -> None:
    answers = iter([None, False, 0, "ready"])
    calls: list[float] = []

    def poll() -> str | None:
        calls.append(time.monotonic())
        return next(answers) or None

    assert wait_until(poll, timeout=5, interval=0.01, what="never") == "ready"
    assert len(calls) == 4


def test_times_out_with_a_sentence_naming_what() -> None:
    began = time.monotonic()
    with pytest.raises(WaitTimeout, match=r"^the server did not answer within 0.2 s$") as caught:
        wait_until(lambda: None, timeout=0.2, interval=0.05, what="the server did not answer")
    waited = time.monotonic() - began
    assert 0.2 <= waited < 1.0
    assert isinstance(caught.value, TimeoutError)


def test_a_zero_timeout_polls_once() -> None:
    calls: list[int] = []
    with pytest.raises(WaitTimeout):
        wait_until(lambda: calls.append(1), timeout=0, what="x")
    assert calls == [1]


def test_an_exception_of_the_predicate_ends_the_wait() -> None:
    def poll() -> None:
        raise LookupError("the process exited")

    with pytest.raises(LookupError, match="exited"):
        wait_until(poll, timeout=5, what="never")
