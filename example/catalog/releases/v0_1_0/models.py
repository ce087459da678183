"""The product table as release 0.1.0 knows it."""

from django.db import models


class Product(models.Model):
    """A catalog product."""

    name = models.CharField(max_length=250)
    description = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        app_label = "product"
        db_table = "product_product"

    def __str__(self) -> str:
        return self.name
