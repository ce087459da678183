"""The database's current release comes from the applied head migrations."""

from __future__ import annotations

import pytest

from tests.zerodowntime.deploy.fake_manifest import MANIFEST as FAKE
from zerodowntime import conf
from zerodowntime.deploy.current import current_release, release_of


def test_release_of_is_the_newest_release_with_its_head_applied() -> None:
    assert release_of(FAKE, {("product", "0001_initial")}) == "0.1.0"
    both = {("product", "0001_initial"), ("product", "0002_not_written")}
    assert release_of(FAKE, both) == "0.1.1"
    assert release_of(FAKE, {("other", "0002_not_written")}) is None
    assert release_of(FAKE, set()) is None


@pytest.mark.django_db
def test_current_release_of_the_test_database() -> None:
    assert current_release(conf.release_manifest()) == conf.release().version
    assert current_release(FAKE) == "0.1.0"
