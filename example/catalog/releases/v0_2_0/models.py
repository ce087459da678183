"""The product table as release 0.2.0 knows it."""

from django.db import models


class Product(models.Model):
    """A catalog product."""

    name = models.CharField(max_length=250)
    description = models.JSONField(null=True, blank=True)
    # The database keeps `created` filled (trigger) for 0.1.1 readers; this code ignores it.
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    slug = models.SlugField(max_length=255, unique=True)
    is_published = models.BooleanField(db_default=True)

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
