"""Names shared by the tasks, the enqueueing code, the beat schedule and the runner."""

QUEUE = "backfills"
RUN_TASK = "zerodowntime.background.run"
ENQUEUE_UNFINISHED_TASK = "zerodowntime.background.enqueue_unfinished"

# SQLSTATE of a statement_timeout (that of a lock_timeout is zerodowntime.ddl's).
QUERY_CANCELED = "57014"
