"""Settings of the Celery workers the acceptance tests start: the catalog's plus test backfills."""

from catalog.settings import *  # noqa: F403
from tests.zerodowntime.background.backfills import ALL

ZDT_BACKGROUND_MIGRATIONS = ALL
ZDT_BACKGROUND_BATCH_SIZE = 10
ZDT_BACKGROUND_MIN_BATCH_SIZE = 10
ZDT_BACKGROUND_MAX_BATCH_SIZE = 10
ZDT_BACKGROUND_TASK_TIME_BUDGET = 3.0
ZDT_BACKGROUND_STALE_SECONDS = 2.0
