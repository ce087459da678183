"""0.2.0: `created_at` becomes NOT NULL and indexed, without a long lock.

NOT NULL goes through a CHECK (...) NOT VALID constraint validated without blocking writes, then
SET NOT NULL (no scan on PG 12+); the index is built CONCURRENTLY.
"""

from django.db import migrations, models

from zerodowntime.operations import SetNotNullSafely


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("product", "0009_product_is_published")]

    operations = [
        SetNotNullSafely(
            model_name="product",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True),
        ),
        migrations.AlterField(
            model_name="product",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, db_index=True),
        ),
    ]
