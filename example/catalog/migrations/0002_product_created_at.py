"""0.1.1 expand: add `created_at`, nullable (metadata only, no table rewrite).

Release 0.2.0 makes it NOT NULL once the background migration `product_created_at` is done.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("product", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="product",
            name="created_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
