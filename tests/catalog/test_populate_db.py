"""``populate_db``: counts, append, limits, varied data, the COPY plan and ``zdt populate``."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from click.testing import CliRunner
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.test.utils import isolate_apps
from django.utils.text import slugify

from catalog.common.fake_products import HOT_NAME, ProductFaker, TimestampSpread
from catalog.management.commands.populate_db import (
    MAX_AMOUNT,
    ChunkSource,
    CopyPlan,
    copy_rows,
    plan_copy,
    prefetch,
)
from catalog.models import Product
from zerodowntime.cli.main import project_cli

ROWS = 2_000


def populate(amount: int = ROWS, **options: object) -> str:
    """Run populate_db quietly and return what it printed on stdout."""
    out = StringIO()
    call_command("populate_db", amount=amount, verbosity=0, stdout=out, **options)
    return out.getvalue()


def timestamp_field() -> str:
    """Return the creation timestamp field of the running release's model."""
    fields = {field.name for field in Product._meta.concrete_fields}
    return "created_at" if "created_at" in fields else "created"


@pytest.mark.django_db
def test_writes_the_amount_and_reports_it() -> None:
    output = populate(seed=1)
    assert Product.objects.count() == ROWS
    assert f"Added {ROWS:,} products" in output


@pytest.mark.django_db
def test_appends_after_existing_rows() -> None:
    kept = Product.objects.create(name="Kept by hand")
    populate(1_500, seed=1)
    populate(500, seed=2)
    assert Product.objects.count() == 2_001
    assert Product.objects.filter(pk=kept.pk, name="Kept by hand").exists()
    assert Product.objects.order_by("pk").first().pk == kept.pk


@pytest.mark.django_db
def test_above_the_maximum_is_refused_and_nothing_written() -> None:
    with pytest.raises(CommandError, match="maximum of 5,000,000"):
        populate(MAX_AMOUNT + 1)
    assert Product.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [0, -5])
def test_non_positive_amount_is_refused(amount: int) -> None:
    with pytest.raises(CommandError, match="positive"):
        populate(amount)
    assert Product.objects.count() == 0


@pytest.mark.django_db
def test_names_repeat_and_include_non_ascii_and_unsluggable() -> None:
    populate(seed=3)
    names = Counter(Product.objects.values_list("name", flat=True))
    assert len(names) > 200
    assert names.most_common(1)[0][1] >= ROWS // 20  # one very common name
    assert sum(count for count in names.values() if count > 1) > ROWS // 4
    assert any(not name.isascii() for name in names)
    assert any(any("\u4e00" <= char <= "\u9fff" for char in name) for name in names)
    assert any(char in name for name in names for char in "ąęłóśźżäöüßéèàç")
    assert any(slugify(name) == "" for name in names)
    assert all(0 < len(name) <= 250 and name == name.strip() for name in names)


@pytest.mark.django_db
def test_descriptions_are_small_json_objects_or_null() -> None:
    populate(seed=4)
    with connection.cursor() as cursor:
        cursor.execute("SELECT description::text FROM product_product")
        texts = [row[0] for row in cursor.fetchall()]
    nulls = [text for text in texts if text is None]
    assert 0 < len(nulls) < len(texts) // 4
    for text in texts:
        if text is not None:
            value = json.loads(text)
            assert isinstance(value, dict) and 1 <= len(value) <= 3


@pytest.mark.django_db
def test_timestamps_are_distinct_increasing_and_within_the_past_year() -> None:
    before = datetime.now(UTC)
    populate(seed=5)
    stamps = list(Product.objects.order_by("pk").values_list(timestamp_field(), flat=True))
    assert stamps == sorted(stamps) and len(set(stamps)) == ROWS
    assert before - timedelta(days=366) <= stamps[0] and stamps[-1] <= datetime.now(UTC)


@pytest.mark.django_db
def test_same_seed_gives_the_same_names() -> None:
    populate(300, seed=42)
    populate(300, seed=42)
    populate(300, seed=43)
    names = list(Product.objects.order_by("pk").values_list("name", flat=True))
    assert names[:300] == names[300:600]
    assert names[:300] != names[600:]


@pytest.mark.django_db
def test_progress_bar_and_final_line() -> None:
    out, err = StringIO(), StringIO()
    call_command("populate_db", amount=50, stdout=out, stderr=err)
    assert "Populating" in err.getvalue() and "rows/s" in err.getvalue()
    assert out.getvalue().startswith("Added 50 products to product_product in ")


@pytest.mark.django_db
def test_slugs_are_unique_when_the_release_has_them() -> None:
    if "slug" not in {field.name for field in Product._meta.concrete_fields}:
        pytest.skip(f"release {settings.ZDT_RELEASE} has no slug")
    populate(1_200, seed=8, chunk_size=500)
    populate(300, seed=8)
    slugs = list(Product.objects.values_list("slug", flat=True))
    assert len(slugs) == len(set(slugs)) == 1_500
    assert all(slugs)
    hot = Product.objects.filter(name=HOT_NAME).values_list("slug", flat=True)
    assert slugify(HOT_NAME) in set(hot) and len(hot) > 50


@pytest.mark.django_db
def test_chunks_with_slugs_get_one_copy_each_and_see_earlier_chunks() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE populate_slugged (id bigint GENERATED ALWAYS AS IDENTITY,"
            " name text NOT NULL, description jsonb, slug text NOT NULL UNIQUE,"
            " created timestamptz NOT NULL)"
        )

    def numbered_after_existing(names: list[str]) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM populate_slugged")
            done = cursor.fetchone()[0]
        return [f"{slugify(name) or 'product'}-{done + i}" for i, name in enumerate(names)]

    plan = CopyPlan(table="populate_slugged", slug_column="slug", timestamp_columns=("created",))
    source = ChunkSource(
        plan=plan,
        amount=250,
        chunk_size=100,
        faker=ProductFaker(6),
        timestamps=TimestampSpread(250, end=datetime.now(UTC)),
        make_slugs=numbered_after_existing,
    )
    chunks: list[int] = []
    copy_rows(source, on_chunk=chunks.append)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(DISTINCT slug) FROM populate_slugged")
        assert cursor.fetchone() == (250, 250)
    assert chunks == [100, 100, 50]


def test_plan_follows_release_0_1_0_model() -> None:
    plan = plan_copy(Product)
    assert plan.table == "product_product"
    assert plan.columns[:2] == ("name", "description")
    assert timestamp_field() in plan.columns
    assert "id" not in plan.columns


@isolate_apps("catalog")
def test_plan_fills_slug_and_both_timestamps_and_leaves_db_defaults_out() -> None:
    class Later(models.Model):
        name = models.CharField(max_length=250)
        description = models.JSONField(null=True)
        created = models.DateTimeField()
        created_at = models.DateTimeField(null=True)
        slug = models.SlugField(null=True, unique=True)
        is_published = models.BooleanField(db_default=True)
        note = models.TextField(null=True)

        class Meta:
            app_label = "product"
            db_table = "later_product"

    plan = plan_copy(Later)
    assert plan.columns == ("name", "description", "slug", "created", "created_at")
    assert plan.statement().as_string() == (
        'COPY "later_product" ("name", "description", "slug", "created", "created_at") FROM STDIN'
    )


@isolate_apps("catalog")
def test_plan_refuses_a_required_column_it_cannot_fill() -> None:
    class Unknown(models.Model):
        name = models.CharField(max_length=250)
        description = models.JSONField(null=True)
        price = models.IntegerField()

        class Meta:
            app_label = "product"
            db_table = "unknown_product"

    with pytest.raises(ValueError, match=r"cannot fill unknown_product\.price"):
        plan_copy(Unknown)


def test_chunk_text_has_one_line_per_row_and_a_field_per_column() -> None:
    plan = CopyPlan(table="t", slug_column="slug", timestamp_columns=("created", "created_at"))
    source = ChunkSource(
        plan=plan,
        amount=25,
        chunk_size=10,
        faker=ProductFaker(7),
        timestamps=TimestampSpread(25, end=datetime(2026, 1, 1, tzinfo=UTC)),
        make_slugs=lambda names: [f"a\\b-{i}" for i in range(len(names))],
    )
    chunks = list(source.chunks())
    assert [rows for rows, _ in chunks] == [10, 10, 5]
    lines = b"".join(data for _, data in chunks).decode().splitlines()
    assert len(lines) == 25
    for number, line in enumerate(lines):
        name, description, slug, created, created_at = line.split("\t")
        assert description == "\\N" or isinstance(json.loads(description), dict)
        assert slug == f"a\\\\b-{number % 10}"  # backslash escaped for COPY
        assert created == created_at


def test_prefetch_yields_everything_in_order_and_reraises() -> None:
    assert list(prefetch(iter(range(100)), depth=2)) == list(range(100))

    def broken() -> object:
        yield 1
        raise RuntimeError("generator failed")

    with pytest.raises(RuntimeError, match="generator failed"):
        list(prefetch(broken()))


def test_prefetch_stops_the_producer_when_the_consumer_stops() -> None:
    produced: list[int] = []

    def endless() -> object:
        number = 0
        while True:
            produced.append(number)
            yield number
            number += 1

    stream = prefetch(endless(), depth=2)
    assert next(stream) == 0
    stream.close()
    assert not [t for t in threading.enumerate() if t.name == "populate-db-rows"]
    assert len(produced) <= 5  # bounded: at most `depth` items wait in the queue


@pytest.mark.django_db
def test_zdt_populate_through_the_cli() -> None:
    runner = CliRunner()
    result = runner.invoke(project_cli(), ["populate", "--amount", "300"])
    assert result.exit_code == 0, result.output
    assert "Added 300 products" in result.output
    assert Product.objects.count() == 300

    refused = runner.invoke(project_cli(), ["populate", "--amount", "5000001"])
    assert refused.exit_code == 1
    assert "maximum of 5,000,000" in refused.output
    assert "Traceback" not in refused.output
    assert Product.objects.count() == 300


@pytest.mark.django_db
@pytest.mark.parametrize("chunk_size", [0, 100_001])
def test_chunk_size_out_of_bounds_is_refused(chunk_size: int) -> None:
    with pytest.raises(CommandError, match="--chunk-size"):
        populate(10, chunk_size=chunk_size)
    assert Product.objects.count() == 0
