"""0.3.0: index (name, slug), built CONCURRENTLY; an INVALID leftover of a failed build is rebuilt."""

from django.db import migrations, models

from zerodowntime.operations import CreateIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("product", "0014_drop_product_created")]

    operations = [
        CreateIndexConcurrently(
            model_name="product",
            index=models.Index(fields=["name", "slug"], name="product_index"),
        ),
    ]
