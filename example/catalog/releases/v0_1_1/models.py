"""The product table as release 0.1.1 knows it."""

from django.db import models


class Product(models.Model):
    """A catalog product."""

    name = models.CharField(max_length=250)
    description = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    # Filled from `created` by a database trigger; old rows by a background migration.
    created_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Unique index built concurrently (NULLs allowed); old rows by a background migration.
    slug = models.SlugField(max_length=255, null=True, blank=True, unique=True)

    class Meta:
        app_label = "product"
        db_table = "product_product"

    def __str__(self) -> str:
        return self.name


class SlugCounter(models.Model):
    """The last number handed out for each slug base (see catalog.common.slugs)."""

    base = models.CharField(max_length=255, primary_key=True)
    last = models.BigIntegerField()

    class Meta:
        app_label = "product"
        db_table = "product_slugcounter"
