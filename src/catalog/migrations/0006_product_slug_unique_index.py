"""0.1.1 expand: build the UNIQUE index on `slug` CONCURRENTLY (NULLs allowed).

From here on no duplicate slug can appear, so 0.2.0 can attach it as the constraint.
"""

from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("product", "0005_product_slug")]

    operations = [
        migrations.RunSQL(
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS product_product_slug_key"
            " ON product_product (slug)",
            "DROP INDEX CONCURRENTLY IF EXISTS product_product_slug_key",
        ),
    ]
