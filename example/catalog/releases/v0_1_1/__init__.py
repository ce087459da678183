"""Release 0.1.1 (expand): adds created_at (kept in step by a trigger) and a unique slug."""
