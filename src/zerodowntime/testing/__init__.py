"""Test support: a pytest plugin that runs the test session on its own PostgreSQL and Redis."""
