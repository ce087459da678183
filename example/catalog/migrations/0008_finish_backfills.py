"""0.2.0 switch, first step: make sure 0.1.1's background migrations are finished.

Whatever is left (rows 0.1.0 wrote while it still served) is done inline, batch by batch, each
batch its own transaction; NOT NULL on created_at and slug comes after, so it cannot fail halfway.
"""

from django.db import migrations

from zerodowntime.background.operations import FinishBackgroundMigrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("product", "0007_register_backfills")]

    operations = [
        FinishBackgroundMigrations(["product_created_at", "product_slug"], inline=True),
    ]
