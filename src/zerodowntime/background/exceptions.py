"""Errors of the background migrations; each message says what to do next."""

from __future__ import annotations


class BackfillError(RuntimeError):
    """A background migration could not run or did not finish."""


class BackfillNotFound(LookupError):
    """No backfill of that name is registered in ``ZDT_BACKGROUND_MIGRATIONS``."""


class BackfillBusy(BackfillError):
    """Another process is running the same backfill right now."""


class BackfillFailed(BackfillError):
    """A batch failed; the error is recorded and the next run resumes from the cursor."""


class BackfillNotFinished(BackfillError):
    """A migration needs a backfill that is not finished."""
