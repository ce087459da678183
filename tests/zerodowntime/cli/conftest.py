"""Fixtures of the CLI tests."""

from tests.zerodowntime.background.fixtures import items

__all__ = ["items"]
