"""Long-running commands: SIGTERM unwinds them as Ctrl-C does, and their child stops with them.

``zdt serve``, ``worker``, ``demo`` and ``rehearse`` start children (gunicorn, Celery, app
servers) and sometimes the embedded servers. A process manager stops them with SIGTERM, whose
default action kills the command at once and leaves all of that running. Inside
:func:`sigterm_as_interrupt`, SIGTERM raises :class:`Terminated`, a ``KeyboardInterrupt``, so the
same ``finally`` blocks run as for Ctrl-C.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

STOP_TIMEOUT = 30.0  # seconds a child has to stop after SIGTERM before it is killed


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: the command unwinds as it does for Ctrl-C."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    # Only the first SIGTERM interrupts: a second one must not cut the clean-up short.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` inside the block (main thread only)."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def stop_child(child: subprocess.Popen[bytes], timeout: float) -> None:
    """Ask ``child`` to stop with SIGTERM; SIGKILL it after ``timeout`` seconds."""
    if child.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=10)


def run_foreground(
    args: Sequence[str],
    env: dict[str, str],
    *,
    stop_timeout: float = STOP_TIMEOUT,
    on_started: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> int:
    """Run ``args`` until it exits, or until Ctrl-C or SIGTERM stops it; return its exit code.

    ``on_started(child)`` runs once the child is started (an error there stops the child).

    The child stays in the terminal's process group, so Ctrl-C reaches it directly; on either
    signal it is also sent SIGTERM (its graceful stop) and killed after ``stop_timeout`` seconds.
    """
    child = subprocess.Popen(list(args), env=env)
    try:
        with sigterm_as_interrupt():
            if on_started is not None:
                on_started(child)
            return child.wait()
    except KeyboardInterrupt:
        stop_child(child, stop_timeout)
        return child.returncode
    finally:
        if child.poll() is None:
            stop_child(child, stop_timeout)
