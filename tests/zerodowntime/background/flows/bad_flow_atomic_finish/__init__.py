"""A fixture app that tries to finish a backfill inline inside an atomic migration."""
