"""0.2.0: add `is_published` with a DATABASE default of true.

On PostgreSQL 11+ a constant default is stored in the catalog: no table rewrite, and inserts
from 0.1.1 (which does not know the column) keep working.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("product", "0008_finish_backfills")]

    operations = [
        migrations.AddField(
            model_name="product",
            name="is_published",
            field=models.BooleanField(db_default=True),
        ),
    ]
