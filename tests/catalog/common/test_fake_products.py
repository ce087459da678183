"""The product generator: weights, determinism, COPY safety and timestamp spreading."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from django.utils.text import slugify

from catalog.common.fake_products import (
    COPY_SPECIAL,
    HOT_NAME,
    NAME_MIX,
    NULL_DESCRIPTION_SHARE,
    ProductFaker,
    TimestampSpread,
    name_families,
)

SAMPLE = 50_000


def family_of() -> dict[str, str]:
    return {name: family for family, names in name_families().items() for name in names}


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    first, second, other = ProductFaker(9), ProductFaker(9), ProductFaker(10)
    assert first.names(500) == second.names(500)
    assert first.descriptions(500) == second.descriptions(500)
    assert ProductFaker(9).names(500) != other.names(500)


def test_name_families_appear_in_their_share() -> None:
    families = family_of()
    counts = Counter(families[name] for name in ProductFaker(1).names(SAMPLE))
    for family, share in NAME_MIX.items():
        seen = 100 * counts[family] / SAMPLE
        assert share * 0.6 <= seen <= share * 1.4, (family, share, seen)


def test_one_name_takes_a_tenth_of_the_rows() -> None:
    names = Counter(ProductFaker(2).names(SAMPLE))
    assert names.most_common(1)[0][0] == HOT_NAME
    assert 0.08 < names[HOT_NAME] / SAMPLE < 0.12


def test_some_names_slugify_to_nothing() -> None:
    empty = {name for names in name_families().values() for name in names if not slugify(name)}
    assert any(not name.isascii() for name in empty)  # CJK or emoji only
    assert any(name.isascii() for name in empty)  # punctuation only


def test_names_fit_the_column_and_need_no_copy_escaping() -> None:
    for names in name_families().values():
        for name in names:
            assert 0 < len(name) <= 250 and name == name.strip()
            assert not COPY_SPECIAL.intersection(name)


def test_descriptions_are_json_objects_with_one_to_three_keys_or_null() -> None:
    descriptions = ProductFaker(3).descriptions(SAMPLE)
    nulls = sum(1 for text in descriptions if text is None)
    assert abs(nulls / SAMPLE - NULL_DESCRIPTION_SHARE) < 0.03
    for text in set(descriptions) - {None}:
        assert not COPY_SPECIAL.intersection(text)
        value = json.loads(text)
        assert isinstance(value, dict) and 1 <= len(value) <= 3


def test_timestamps_are_distinct_increasing_and_in_the_span() -> None:
    end = datetime(2026, 3, 1, 12, tzinfo=UTC)
    spread = TimestampSpread(10_000, end=end)
    texts = spread.texts(0, 6_000) + spread.texts(6_000, 4_000)
    stamps = [datetime.fromisoformat(text) for text in texts]
    assert stamps == sorted(stamps) and len(set(stamps)) == 10_000
    assert end - timedelta(days=365) <= stamps[0] and stamps[-1] <= end


def test_timestamps_cross_days_correctly() -> None:
    spread = TimestampSpread(2, end=datetime(2026, 1, 2, tzinfo=UTC), span=timedelta(days=2))
    assert spread.texts(0, 2) == ["2025-12-31 00:00:00+00", "2026-01-01 00:00:00+00"]


def test_more_rows_than_seconds_is_refused() -> None:
    with pytest.raises(ValueError, match="distinct seconds"):
        TimestampSpread(100, end=datetime.now(UTC), span=timedelta(seconds=50))


def test_timestamps_are_evenly_spaced_whatever_the_chunking() -> None:
    spread = TimestampSpread(10_000, end=datetime(2026, 7, 1, 8, 30, tzinfo=UTC))
    whole = spread.texts(0, 10_000)
    assert spread.texts(0, 3_333) + spread.texts(3_333, 6_667) == whole
    stamps = [datetime.fromisoformat(text) for text in whole]
    assert len({later - earlier for earlier, later in pairwise(stamps)}) == 1
