"""Fixtures and helpers shared by the rehearsal's tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from zerodowntime.rehearsal.cpu_groups import remove_shared_groups


@pytest.fixture(autouse=True)
def no_cpu_group_left() -> Iterator[None]:
    """Remove the CPU groups a test made through the cluster or the priority watcher."""
    yield
    remove_shared_groups()


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time process ``pid`` has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
