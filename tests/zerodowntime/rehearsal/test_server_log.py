"""The errors behind "Internal error.", read from the tracebacks of the app servers' logs."""

from __future__ import annotations

from pathlib import Path

from zerodowntime.rehearsal.server_log import server_errors, traceback_messages

LOG = """\
127.0.0.1 - - "POST /graphql/ HTTP/1.1" 200 61
2026-12-01 20:40:01,000 ERROR strawberry.execution: column product_product.created does not exist
LINE 1: SELECT "product_product"."created" FROM "product_product"
Traceback (most recent call last):
  File "/x/django/db/backends/utils.py", line 105, in _execute
    return self.cursor.execute(sql, params)
psycopg.errors.UndefinedColumn: column product_product.created does not exist
LINE 1: SELECT "product_product"."created" FROM "product_product"
                                 ^

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/x/strawberry/schema/execute.py", line 10, in execute
    result = await resolver()
django.db.utils.ProgrammingError: column product_product.created does not exist
LINE 1: SELECT "product_product"."created" FROM "product_product"
Traceback (most recent call last):
  File "/x/a.py", line 1, in f
KeyError: 'slug'
"""


def test_the_line_that_ends_each_traceback_gives_the_message() -> None:
    assert traceback_messages(LOG.splitlines()) == [
        "column product_product.created does not exist",
        "column product_product.created does not exist",
        "'slug'",
    ]


def test_distinct_messages_of_every_log_most_frequent_first(tmp_path: Path) -> None:
    (tmp_path / "01-web.log").write_text(LOG)
    key_errors = "Traceback (most recent call last):\nKeyError: 'slug'\n" * 3
    (tmp_path / "02-web.log").write_text(key_errors)
    logs = [tmp_path / "01-web.log", tmp_path / "02-web.log", tmp_path / "missing.log"]
    assert server_errors(logs) == ["'slug'", "column product_product.created does not exist"]
