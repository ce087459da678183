"""Read the steps of ``docs/adopting.md``: files to write and shell commands to run."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Step:
    """One fenced block of the page: a file (written or appended to) or shell commands."""

    language: str
    text: str
    file: str | None = None
    append: bool = False

    @property
    def commands(self) -> list[str]:
        """Return the shell commands of an ``sh`` block, one a line."""
        return [line for line in self.text.splitlines() if line.strip()]


def read_steps(page: Path) -> list[Step]:
    """Return the page's blocks that are steps: ``sh`` blocks and blocks naming a ``file=``."""
    steps = []
    for language, info, text in _FENCE.findall(page.read_text()):
        words = info.split()
        target = next((w.removeprefix("file=") for w in words if w.startswith("file=")), None)
        if language == "sh" or target is not None:
            steps.append(Step(language, text, target, "append" in words))
    return steps


def apply_file(step: Step, project: Path) -> None:
    """Write (or append) a file step's text into ``project``."""
    assert step.file is not None
    path = project / step.file
    path.parent.mkdir(parents=True, exist_ok=True)
    if step.append:
        existing = path.read_text()
        path.write_text(existing.rstrip("\n") + "\n\n" + step.text)
    else:
        path.write_text(step.text)
