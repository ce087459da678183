"""API tokens: stored hashed, shown once, required by mutations."""
