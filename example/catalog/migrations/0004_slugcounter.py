"""0.1.1 expand: the counter table that hands out slug numbers (see catalog.common.slugs)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    # The primary key's `varchar_pattern_ops` index is built CONCURRENTLY by the schema editor.
    atomic = False

    dependencies = [("product", "0003_product_created_sync_trigger")]

    operations = [
        migrations.CreateModel(
            name="SlugCounter",
            fields=[
                ("base", models.CharField(max_length=255, primary_key=True, serialize=False)),
                ("last", models.BigIntegerField()),
            ],
            options={"db_table": "product_slugcounter"},
        ),
    ]
