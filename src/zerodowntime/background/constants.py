"""Names shared by the tasks, the enqueueing code, the beat schedule and the runner."""

QUEUE = "backfills"
RUN_TASK = "zerodowntime.background.run"
ENQUEUE_UNFINISHED_TASK = "zerodowntime.background.enqueue_unfinished"

# SQLSTATEs of a lock_timeout and of a statement_timeout.
LOCK_NOT_AVAILABLE = "55P03"
QUERY_CANCELED = "57014"
