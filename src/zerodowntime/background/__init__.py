"""Background migrations: durable, batched, resumable backfills run by Celery workers."""
