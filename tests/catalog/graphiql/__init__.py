"""Tests of the offline GraphiQL page."""
