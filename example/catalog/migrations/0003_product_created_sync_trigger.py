"""0.1.1 expand: keep `created` and `created_at` in step while two releases overlap.

0.1.0 writes only `created`, 0.2.0 writes only `created_at`; the trigger fills the other one on
insert, and copies a change of either to the other on update. Dropped in 0.3.0.
"""

from django.db import migrations

from catalog.migrations._sync_trigger import CREATE_FUNCTION, CREATE_TRIGGER, DROP_FUNCTION, DROP_TRIGGER


class Migration(migrations.Migration):
    dependencies = [("product", "0002_product_created_at")]

    operations = [
        migrations.RunSQL(CREATE_FUNCTION, DROP_FUNCTION),
        migrations.RunSQL(CREATE_TRIGGER, DROP_TRIGGER),
    ]
