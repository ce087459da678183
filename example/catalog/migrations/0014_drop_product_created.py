"""0.3.0 contract: drop `created` and its sync trigger (0.2.0, still serving, never uses them).

Order matters for 0.2.0 inserts: first `created` may be NULL, then the trigger goes, then the
column (and its index), then the trigger function. Each statement is its own short transaction.
"""

from django.db import migrations

from catalog.migrations import _sync_trigger


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("product", "0013_remove_product_created_from_state")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE product_product ALTER COLUMN created DROP NOT NULL",
            "ALTER TABLE product_product ALTER COLUMN created SET NOT NULL",
        ),
        migrations.RunSQL(_sync_trigger.DROP_TRIGGER, _sync_trigger.CREATE_TRIGGER),
        migrations.RunSQL(
            "ALTER TABLE product_product DROP COLUMN IF EXISTS created",
            "ALTER TABLE product_product ADD COLUMN IF NOT EXISTS created timestamptz NULL;"
            " UPDATE product_product SET created = created_at WHERE created IS NULL;"
            " CREATE INDEX IF NOT EXISTS product_product_created_idx ON product_product (created)",
        ),
        migrations.RunSQL(_sync_trigger.DROP_FUNCTION, _sync_trigger.CREATE_FUNCTION),
    ]
