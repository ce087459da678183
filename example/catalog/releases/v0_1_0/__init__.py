"""Release 0.1.0: the starting point (name, description, created)."""
