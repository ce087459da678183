"""0.1.1 expand: add `slug`, nullable, without any index yet (metadata only).

Django's state records it as unique already; the unique index is built CONCURRENTLY by the next
migration, and 0.2.0 attaches it as the UNIQUE constraint after the backfill.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("product", "0004_slugcounter")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AddField(
                    model_name="product",
                    name="slug",
                    field=models.SlugField(blank=True, db_index=False, max_length=255, null=True),
                ),
            ],
            state_operations=[
                migrations.AddField(
                    model_name="product",
                    name="slug",
                    field=models.SlugField(blank=True, max_length=255, null=True, unique=True),
                ),
            ],
        ),
    ]
