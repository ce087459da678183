"""Releases, the current release of a database, process heartbeats and upgrade plans."""
