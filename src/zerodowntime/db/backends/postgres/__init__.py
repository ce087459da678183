"""PostgreSQL backend whose schema editor retries every DDL statement on lock timeout."""
