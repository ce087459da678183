"""0.2.0: attach the unique index built in 0.1.1 as the UNIQUE constraint (no scan)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("product", "0011_product_slug_not_null")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE product_product ADD CONSTRAINT product_product_slug_key"
            " UNIQUE USING INDEX product_product_slug_key",
            "ALTER TABLE product_product DROP CONSTRAINT product_product_slug_key",
        ),
    ]
