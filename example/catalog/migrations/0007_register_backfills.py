"""0.1.1 expand: register the background migrations that fill old rows.

`product_created_at` copies `created` into `created_at`; `product_slug` makes slugs. Workers
run them in batches after this release is deployed; the first migration of 0.2.0 finishes
whatever is left. The records are durable: a broker that is down loses nothing.
"""

from django.db import migrations

from zerodowntime.background.operations import RegisterBackgroundMigration


class Migration(migrations.Migration):
    dependencies = [
        ("product", "0006_product_slug_unique_index"),
        ("zdt_background", "0001_initial"),
    ]

    operations = [
        RegisterBackgroundMigration("product_created_at"),
        RegisterBackgroundMigration("product_slug"),
    ]
