"""Writes of release 0.1.0: create, update and delete products."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from catalog.common.errors import ApiError, ErrorCode
from catalog.common.validation import clean_description, clean_name
from catalog.releases.v0_1_0.models import Product

UNSET: Any = object()


def product_create(*, name: str, description: Any = None) -> Product:
    """Create a product after validating its input."""
    return Product.objects.create(name=clean_name(name), description=clean_description(description))


@transaction.atomic
def product_update(*, pk: int, name: str | None = None, description: Any = UNSET) -> Product:
    """Change the given fields of product ``pk``; fields left out keep their value."""
    product = Product.objects.select_for_update().filter(pk=pk).first()
    if product is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"No product with ID {pk}.")
    fields = []
    if name is not None:
        product.name = clean_name(name)
        fields.append("name")
    if description is not UNSET:
        product.description = clean_description(description)
        fields.append("description")
    if fields:
        product.save(update_fields=fields)
    return product


@transaction.atomic
def product_delete(*, pk: int) -> Product:
    """Delete product ``pk`` and return it with its primary key kept."""
    product = Product.objects.select_for_update().filter(pk=pk).first()
    if product is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"No product with ID {pk}.")
    product.delete()
    product.pk = pk
    return product
