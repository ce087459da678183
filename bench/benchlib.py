"""What the benchmarks share: their servers, a rehearsal with its steal sampled, the machine."""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from zerodowntime.rehearsal.cpu_steal import CpuTicks, read_cpu_ticks, stolen_share


@contextmanager
def embedded_services(*, durable: bool = False) -> Iterator[dict[str, str]]:
    """Yield DATABASE_URL, REDIS_URL and ZDT_STATE_DIR of throw-away embedded servers.

    The servers are non-durable (``fsync = off``, like the test suite) unless ``durable``, and
    are stopped, and their folder removed, when the block ends: on SIGTERM too, which would
    otherwise end the bench at once and leave them running.
    """
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from zerodowntime import services
    from zerodowntime.cli.foreground import sigterm_as_interrupt

    directory = Path(tempfile.mkdtemp(prefix="zdt-bench-"))
    with sigterm_as_interrupt():
        try:
            urls = services.up(directory, durable=durable)
            yield {
                "DATABASE_URL": urls.database_url,
                "REDIS_URL": urls.redis_url,
                "ZDT_STATE_DIR": str(directory),
                "SECRET_KEY": secrets.token_urlsafe(50),  # app servers refuse the public one
            }
        finally:
            services.down(directory)
            shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def durable_database() -> Iterator[str]:
    """Yield the URL of the server to use: DATABASE_URL, or a durable embedded one."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    with embedded_services(durable=True) as env:
        yield env["DATABASE_URL"]


def commit_every_10ms(
    url: str, insert: str, stop: threading.Event, out: list[tuple[float, float]]
) -> None:
    """Run ``insert`` and commit every 10 ms until ``stop``; note (start, seconds) of each."""
    with psycopg.connect(url) as conn:
        while not stop.is_set():
            began = time.monotonic()
            conn.execute(insert)
            conn.commit()
            out.append((began, time.monotonic() - began))
            time.sleep(0.01)


def wal_position(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    """Return the server's WAL insert position, in bytes."""
    row = conn.execute("SELECT pg_current_wal_insert_lsn() - '0/0'").fetchone()
    return int(str(row[0])) if row else 0


def rehearse(arguments: list[str]) -> Path:
    """Run ``zdt rehearse`` with ``arguments`` while sampling the steal; return its report.json.

    The samples go beside the report, as ``steal.json``.
    """
    folder = Path(tempfile.mkdtemp(prefix="zdt-steal-"))
    zdt = Path(sys.executable).with_name("zdt")
    command = [str(zdt), "rehearse", *arguments, "--report-dir", str(folder)]
    print("$", " ".join(command[1:]), flush=True)
    stop, samples = threading.Event(), list[tuple[float, int, int]]()
    sampler = threading.Thread(target=sample_steal, args=(stop, samples))
    sampler.start()
    try:
        subprocess.run(command, check=False, env=dict(os.environ))
    finally:
        stop.set()
        sampler.join()
    report = next(folder.glob("*/report.json"))
    (report.parent / "steal.json").write_text(json.dumps(samples))
    return report


def sample_steal(stop: threading.Event, out: list[tuple[float, int, int]]) -> None:
    """Note (wall time, steal ticks, all ticks) of the CPUs each second until ``stop``."""
    while not stop.wait(1.0):
        ticks = read_cpu_ticks()
        if ticks is not None:
            out.append((time.time(), ticks.steal, ticks.total))


def steal_between(samples: list[list[float]], low: float, high: float) -> float:
    """Return the steal share of the samples (wall time, steal, all) in [low, high] (0: too few)."""
    inside = [s for s in samples if low <= s[0] <= high]
    if len(inside) < 2:
        return 0.0
    first, last = (CpuTicks(int(s[1]), int(s[2])) for s in (inside[0], inside[-1]))
    return stolen_share(first, last) or 0.0


def machine() -> str:
    """Return a one-line description of this machine."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} CPUs ({model}), {ram:.1f} GiB RAM, {platform.platform()}"
