"""The ``zdt`` command line: one entry point, a module per group of commands."""

from zerodowntime.cli.main import main

__all__ = ["main"]
