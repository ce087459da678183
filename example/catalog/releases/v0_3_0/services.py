"""Writes of release 0.3.0: create, update and delete products."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from catalog.common.auth import invalid_token, token_checked_first
from catalog.common.errors import ApiError, ErrorCode
from catalog.common.rows import insert_if, insert_unless_taken
from catalog.common.slugs import is_slug_conflict, next_slug, unique_slug
from catalog.common.validation import clean_description, clean_name, clean_slug
from catalog.releases.v0_3_0.models import Product
from catalog.tokens.services import token_condition

UNSET: Any = object()
ANYONE = ("true", ())  # the condition of a create without a token
GENERATED_SLUG_ATTEMPTS = 5


def product_create(
    *,
    name: str,
    description: Any = None,
    slug: str | None = None,
    is_published: bool | None = None,
    token: str | None = None,
) -> Product:
    """Create a product; without ``slug`` a unique one is made from the name.

    With ``token`` (a request's bearer token), nothing is written unless it is valid
    (``UNAUTHENTICATED``, before any input error); it is checked in the insert's statement, and
    the first slug number is reserved there too: a create is one statement.
    """
    with token_checked_first(token):
        fields: dict[str, Any] = {
            "name": clean_name(name),
            "description": clean_description(description),
        }
        if is_published is not None:
            fields["is_published"] = is_published
        if slug is not None:
            fields["slug"] = clean_slug(slug)
    product = Product(**fields)
    condition = token_condition(token) if token is not None else ANYONE
    value = next_slug(fields["name"]) if slug is None else None
    outcome = insert_if(product, unique="slug", condition=condition, value=value)
    if not outcome.allowed:
        raise invalid_token()
    if outcome.inserted:
        return product
    if slug is not None:
        raise ApiError(ErrorCode.SLUG_TAKEN, f"Slug {fields['slug']!r} is taken.")
    for _ in range(GENERATED_SLUG_ATTEMPTS):  # the first number's slug was taken: the next free
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
