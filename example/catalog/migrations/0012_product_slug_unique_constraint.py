"""0.2.0: attach the unique index built in 0.1.1 as the UNIQUE constraint (no scan)."""

from django.db import migrations

from zerodowntime.operations import AttachUniqueConstraint


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("product", "0011_product_slug_not_null")]

    operations = [
        AttachUniqueConstraint("product_product", "product_product_slug_key"),
    ]
