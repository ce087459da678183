"""0.1.1 expand: build the UNIQUE index on `slug` CONCURRENTLY (NULLs allowed).

From here on no duplicate slug can appear, so 0.2.0 can attach it as the constraint.
"""

from django.db import migrations

from zerodowntime.operations import CreateUniqueIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("product", "0005_product_slug")]

    operations = [
        CreateUniqueIndexConcurrently("product_product", "product_product_slug_key", ["slug"]),
    ]
