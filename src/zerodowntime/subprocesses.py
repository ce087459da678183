"""Run child processes: a child ``zdt``, and commands whose failure ends with their output."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

ZDT = (sys.executable, "-c", "from zerodowntime.cli import main; main()")
TAIL_LINES = 15


def process_exists(pid: int) -> bool:
    """Return True while a process ``pid`` exists (one of another user's too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def zdt_command(*args: str) -> list[str]:
    """Return the command that runs ``zdt ARGS`` with this interpreter (no console script)."""
    return [*ZDT, *args]


class CommandFailed(RuntimeError):
    """A command exited non-zero; :meth:`tail` gives the end of what it printed."""

    def __init__(self, args: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        self.command = [str(arg) for arg in args]
        self.returncode = returncode
        self.stdout = stdout or ""
        self.stderr = stderr or ""
        super().__init__(f"`{' '.join(self.command)}` exited with {returncode}:\n{self.tail()}")

    def tail(self, lines: int = TAIL_LINES) -> str:
        """Return the last ``lines`` lines of its stderr (of its stdout when stderr is empty)."""
        text = self.stderr.strip() or self.stdout.strip()
        return "\n".join(text.splitlines()[-lines:]) or f"exit code {self.returncode}"


def finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    """Wait for ``process`` started with piped output; raise :class:`CommandFailed` if it failed."""
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        args = process.args if isinstance(process.args, list) else [str(process.args)]
        raise CommandFailed(args, process.returncode, stdout, stderr)
    return subprocess.CompletedProcess(process.args, 0, stdout, stderr)


def run(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    user: str | None = None,
    pass_stdout: bool = False,
    cwd: str | os.PathLike[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` (in folder ``cwd``) to the end with its output captured as text.

    With ``pass_stdout``, its stdout is not captured.

    Return the finished process; raise :class:`CommandFailed`, which names the command and
    ends with its output's tail, when it exits non-zero.
    """
    result = subprocess.run(
        list(args),
        env=None if env is None else dict(env),
        stdout=None if pass_stdout else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
        user=user,
        cwd=cwd,
        check=False,
    )
    if result.returncode != 0:
        raise CommandFailed(args, result.returncode, result.stdout, result.stderr)
    return result
