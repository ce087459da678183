"""The database's current release comes from the applied head migrations."""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.zerodowntime.deploy.fake_manifest import MANIFEST as FAKE
from zerodowntime.deploy.current import current_release, release_of
from zerodowntime.deploy.releases import load_manifest


def test_release_of_is_the_newest_release_with_its_head_applied() -> None:
    assert release_of(FAKE, {"0001_initial"}) == "0.1.0"
    assert release_of(FAKE, {"0001_initial", "0002_not_written"}) == "0.1.1"
    assert release_of(FAKE, set()) is None


@pytest.mark.django_db
def test_current_release_of_the_test_database() -> None:
    manifest = load_manifest(settings.ZDT_RELEASE_MANIFEST)
    assert current_release(manifest) == settings.ZDT_RELEASE
    assert current_release(FAKE) == "0.1.0"
