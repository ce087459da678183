"""0.2.0: code stops using `created`; the column stays, kept filled by the trigger for 0.1.1.

State only: the column is dropped from the database in 0.3.0, once no 0.1.1 process is left.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("product", "0012_product_slug_unique_constraint")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveField(model_name="product", name="created")],
        ),
    ]
