"""A fixture app whose migrations register a backfill, then finish it inline (atomic = False)."""
