"""Names shared by the tasks, the enqueueing code and the beat schedule."""

QUEUE = "backfills"
RUN_TASK = "zerodowntime.background.run"
ENQUEUE_UNFINISHED_TASK = "zerodowntime.background.enqueue_unfinished"
