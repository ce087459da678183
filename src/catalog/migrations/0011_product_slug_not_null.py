"""0.2.0: `slug` becomes NOT NULL, and its unique index becomes the UNIQUE constraint."""

from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("product", "0010_product_created_at_not_null")]

    operations = [
        migrations.AlterField(
            model_name="product",
            name="slug",
            field=models.SlugField(max_length=255, unique=True),
        ),
    ]
