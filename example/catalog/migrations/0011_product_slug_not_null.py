"""0.2.0: `slug` becomes NOT NULL (CHECK NOT VALID, VALIDATE, SET NOT NULL, DROP CHECK)."""

from django.db import migrations, models

from zerodowntime.operations import SetNotNullSafely


class Migration(migrations.Migration):
    atomic = False
    zdt_silence = {
        "ZDT205": "0.1.1 never writes a NULL slug: productCreate makes one when none is given,"
        " and productUpdate only sets a given one",
    }

    dependencies = [("product", "0010_product_created_at_not_null")]

    operations = [
        SetNotNullSafely(
            model_name="product",
            name="slug",
            field=models.SlugField(max_length=255, unique=True),
        ),
    ]
