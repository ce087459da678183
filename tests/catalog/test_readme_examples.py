"""The README's curl examples work as printed, on a fresh database (no id from an earlier run)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.catalog.shell_examples import assert_examples_worked, run_examples

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_examples() -> str:
    """Return the README's block of API calls (the shell block that sets ``TOKEN``)."""
    blocks = re.findall(r"^```sh\n(.*?)^```", README.read_text(), flags=re.M | re.S)
    (block,) = [b for b in blocks if re.search(r"^TOKEN=", b, flags=re.M)]
    return block


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_the_readme_examples_work_against_a_server(live_server: Any, api_token: str) -> None:
    url = live_server.url.replace("localhost", "127.0.0.1") + "/graphql/"
    block = readme_examples()
    assert "UHJvZHVjd" not in block, "an id that exists only after some earlier run"
    assert_examples_worked(run_examples(block, url=url, token=api_token))
