"""Measure the CPU share of busy processes in sessions of their own, two of them at niceness 10.

    python3 bench/bench_autogroup_share.py            # niceness of the processes only
    python3 bench/bench_autogroup_share.py autogroup  # the session's autogroup niceness too

With the kernel's autogroup scheduling, only the second gives the niced pair a smaller share.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

SECONDS = 4.0


def cpu_ticks(pid: int) -> int:
    """Return the user + system clock ticks process ``pid`` has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def main() -> None:
    """Start four busy loops, nice two, print each one's ticks over SECONDS."""
    autogroup = sys.argv[1:] == ["autogroup"]
    spin = [sys.executable, "-c", "while True: pass"]
    loops = [subprocess.Popen(spin, start_new_session=True) for _ in range(4)]
    try:
        for loop in loops[2:]:
            os.setpriority(os.PRIO_PGRP, loop.pid, 10)
            if autogroup:
                Path(f"/proc/{loop.pid}/autogroup").write_text("10")
        time.sleep(SECONDS)
        for number, loop in enumerate(loops):
            niceness = 10 if number >= 2 else 0
            print(f"loop {number} (niceness {niceness}): {cpu_ticks(loop.pid)} ticks")
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


if __name__ == "__main__":
    main()
