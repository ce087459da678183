"""What a statement costs on a table of a given size: the work it does and an estimate of its time.

The rates are medians measured by ``bench/bench_check_rates.py`` on a table of 1,000,000 rows
(135 MB) on this project's 2-core machine while it was shared (docs/BENCHMARKS.md, "Table sizes
in zdt check"); a production server is usually faster, a table read from disk slower: an
estimate is an order of magnitude, not a promise.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from zerodowntime.sql import Change, Kind, Lock

MB = 2**20
MEASURED = "bench/bench_check_rates.py, 2026-12-01"
#: Heap read by a full scan under a lock (``SET NOT NULL`` with nothing to prove it), MB/s.
SCAN_MB_PER_SECOND = 650.0
#: Heap rewritten, indexes rebuilt (``ALTER COLUMN ... TYPE bigint``), MB/s.
REWRITE_MB_PER_SECOND = 26.0
#: Rows indexed by a ``CREATE INDEX`` on a varchar column, one process, rows/s.
INDEX_ROWS_PER_SECOND = 73_000.0
#: Rows changed by one ``UPDATE`` over the whole table, rows/s (a loop in Python is slower).
UPDATE_ROWS_PER_SECOND = 53_000.0


class Work(StrEnum):
    """What a statement does to an existing table, from the cheapest to the dearest."""

    CATALOG = "catalog only"
    INDEX_BUILD = "index build"
    SCAN = "full scan"
    ROWS = "row by row"
    REWRITE = "table rewrite"


_ORDER = list(Work)


@dataclass(frozen=True)
class Cost:
    """The work of a statement on one table, the lock it holds meanwhile, and its estimate."""

    work: Work
    lock: Lock
    seconds: float | None
    text: str


def work_of(change: Change, *, unproven_not_null: bool = False) -> Work:
    """Return the work ``change`` does on an existing table.

    ``unproven_not_null``: a SET NOT NULL that no validated CHECK proves (it scans).
    """
    kind = change.kind
    if kind in {Kind.CREATE_INDEX, Kind.REINDEX} and not change.concurrently:
        return Work.INDEX_BUILD
    if kind is Kind.ADD_UNIQUE and change.using_index is None:
        return Work.INDEX_BUILD
    if kind in {Kind.ADD_CHECK, Kind.ADD_FOREIGN_KEY} and not change.not_valid:
        return Work.SCAN
    if kind is Kind.SET_NOT_NULL and unproven_not_null and not change.not_valid:
        return Work.SCAN
    if kind is Kind.ALTER_TYPE or (kind is Kind.ADD_COLUMN and change.volatile_default):
        return Work.REWRITE
    if kind is Kind.OTHER and change.lock is Lock.ACCESS_EXCLUSIVE:  # VACUUM FULL, CLUSTER
        return Work.REWRITE
    if kind is Kind.DML:
        return Work.ROWS
    return Work.CATALOG


def dearest(works: list[Work]) -> Work:
    """Return the most expensive of ``works`` (CATALOG for none)."""
    return max(works, key=_ORDER.index, default=Work.CATALOG)


def _blocks(work: Work, lock: Lock) -> str:
    if work is Work.ROWS:
        return "each row it changes stays locked until its transaction commits"
    if lock.blocks_reads:
        return "blocking reads and writes"
    if lock.blocks_writes:
        return "blocking writes"
    return "reads and writes go on"


def estimate(work: Work, lock: Lock, rows: int, heap_bytes: int, passes: int = 1) -> Cost:
    """Return the cost of ``work`` on a table of ``rows`` rows and ``heap_bytes`` bytes.

    ``passes``: how many statements of a data loop went through the table (a loop that runs
    one UPDATE per value): each is at least a scan, and together they change every row at most.
    """
    megabytes = heap_bytes / MB
    if work is Work.CATALOG:
        text = "catalog only: milliseconds at any size once its lock is granted"
        return Cost(work, lock, None, text)
    if work is Work.SCAN:
        seconds, rate = megabytes / SCAN_MB_PER_SECOND, f"{SCAN_MB_PER_SECOND:.0f} MB/s"
        what = f"reads all {megabytes:,.0f} MB"
    elif work is Work.REWRITE:
        seconds, rate = megabytes / REWRITE_MB_PER_SECOND, f"{REWRITE_MB_PER_SECOND:.0f} MB/s"
        what = f"rewrites all {megabytes:,.0f} MB and rebuilds its indexes"
    elif work is Work.INDEX_BUILD:
        seconds, rate = rows / INDEX_ROWS_PER_SECOND, f"{INDEX_ROWS_PER_SECOND:,.0f} rows/s"
        what = f"indexes {rows:,} rows"
    elif passes > 1:
        seconds = rows / UPDATE_ROWS_PER_SECOND + passes * megabytes / SCAN_MB_PER_SECOND
        rate = f"{UPDATE_ROWS_PER_SECOND:,.0f} rows/s and {SCAN_MB_PER_SECOND:.0f} MB/s"
        what = (
            f"{passes:,} statements each go through all {rows:,} rows ({megabytes:,.0f} MB)"
            " unless an index serves them, and change up to all of them"
        )
    else:
        seconds, rate = rows / UPDATE_ROWS_PER_SECOND, f"{UPDATE_ROWS_PER_SECOND:,.0f} rows/s"
        what = f"goes through {rows:,} rows (at least: a loop in Python is slower)"
    text = (
        f"{work}: {what} under {lock} ({_blocks(work, lock)}), about {_duration(seconds)}"
        f" at {rate} ({MEASURED})"
    )
    return Cost(work, lock, seconds, text)


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.0f} min"
