"""Fixtures shared by the rehearsal's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from zerodowntime.rehearsal.idle_cpu_group import remove_shared_group


@pytest.fixture(autouse=True)
def no_idle_group_left() -> Iterator[None]:
    """Remove the idle CPU group a test made through the cluster or the priority watcher."""
    yield
    remove_shared_group()
