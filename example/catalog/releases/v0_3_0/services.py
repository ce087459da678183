"""Writes of release 0.3.0: create, update and delete products."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from catalog.common.errors import ApiError, ErrorCode
from catalog.common.rows import insert_unless_taken
from catalog.common.slugs import is_slug_conflict, unique_slug
from catalog.common.validation import clean_description, clean_name, clean_slug
from catalog.releases.v0_3_0.models import Product

UNSET: Any = object()
GENERATED_SLUG_ATTEMPTS = 5


def product_create(
    *,
    name: str,
    description: Any = None,
    slug: str | None = None,
    is_published: bool | None = None,
) -> Product:
    """Create a product; without ``slug`` a unique one is made from the name."""
    fields: dict[str, Any] = {
        "name": clean_name(name),
        "description": clean_description(description),
    }
    if is_published is not None:
        fields["is_published"] = is_published
    if slug is not None:
        return _insert(**fields, slug=clean_slug(slug))
    for _ in range(GENERATED_SLUG_ATTEMPTS):
        try:
            return _insert(**fields, slug=unique_slug(fields["name"]))
        except ApiError as exc:
            if exc.code != ErrorCode.SLUG_TAKEN:
                raise
    raise ApiError(ErrorCode.SLUG_TAKEN, "Could not make a unique slug; try again.")


def _insert(**fields: Any) -> Product:
    """Insert a product; a slug taken meanwhile is ``SLUG_TAKEN`` (no savepoint: nothing failed)."""
    product = Product(**fields)
    if not insert_unless_taken(product, unique="slug"):
        raise ApiError(ErrorCode.SLUG_TAKEN, f"Slug {fields['slug']!r} is taken.")
    return product


@transaction.atomic
def product_update(
    *,
    pk: int,
    name: str | None = None,
    description: Any = UNSET,
    slug: str | None = None,
    is_published: bool | None = None,
) -> Product:
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
    if slug is not None:
        product.slug = clean_slug(slug)
        fields.append("slug")
    if is_published is not None:
        product.is_published = is_published
        fields.append("is_published")
    if fields:
        try:
            with transaction.atomic():
                product.save(update_fields=fields)
        except IntegrityError as exc:
            if is_slug_conflict(exc):
                raise ApiError(ErrorCode.SLUG_TAKEN, f"Slug {slug!r} is taken.") from exc
            raise
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
