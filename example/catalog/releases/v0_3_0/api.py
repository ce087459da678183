"""The GraphQL API of release 0.3.0."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from catalog.common.auth import require_token, sent_token
from catalog.common.global_ids import decode_global_id, encode_global_id
from catalog.common.guard import ONE_STATEMENT
from catalog.common.pagination import encode_cursor, keyset_page
from catalog.common.rows import get_by_pk
from catalog.common.schema import PageInfo, build_schema
from catalog.releases.v0_3_0 import services
from catalog.releases.v0_3_0.models import Product


@strawberry.type(name="Product", description="A catalog product.")
class ProductType:
    """The GraphQL view of a product row, as plain values: no resolver runs for its fields."""

    id: strawberry.ID = strawberry.field(
        description="The relay global ID (base64 of `Product:<pk>`)."
    )
    name: str = strawberry.field(description="The name of the product.")
    description: JSON | None = strawberry.field(
        description="Description of the product (any JSON value)."
    )
    created_at: datetime = strawberry.field(description="When the product was created.")
    slug: str = strawberry.field(description="Unique, URL-friendly name.")
    is_published: bool = strawberry.field(description="Whether the product is visible to shoppers.")

    @classmethod
    def of(cls, product: Product) -> ProductType:
        """Return the GraphQL view of ``product``."""
        return cls(
            id=strawberry.ID(encode_global_id("Product", product.pk)),
            name=product.name,
            description=product.description,
            created_at=product.created_at,
            slug=product.slug,
            is_published=product.is_published,
        )


@strawberry.type(name="ProductEdge")
class ProductEdge:
    node: ProductType
    cursor: str


@strawberry.type(name="ProductConnection")
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo


@strawberry.type(name="ProductCreate")
class ProductCreatePayload:
    product: ProductType | None


@strawberry.type(name="ProductUpdate")
class ProductUpdatePayload:
    product: ProductType | None


@strawberry.type(name="ProductDelete")
class ProductDeletePayload:
    product: ProductType | None


def _pk(product_id: strawberry.ID) -> int:
    return decode_global_id(str(product_id), expected_type="Product")


@strawberry.type
class Query:
    @strawberry.field(description="One product by ID; null when it does not exist.")
    def product(self, id: strawberry.ID) -> ProductType | None:
        product = get_by_pk(Product, _pk(id))
        return ProductType.of(product) if product else None

    @strawberry.field(description="Products ordered by ID, a page at a time.")
    def products(
        self,
        first: int | None = None,
        after: str | None = None,
        is_published: bool | None = None,
    ) -> ProductConnection:
        products = Product.objects.all()
        if is_published is not None:
            products = products.filter(is_published=is_published)
        page = keyset_page(products, first=first, after=after)
        edges = [ProductEdge(node=ProductType.of(p), cursor=encode_cursor(p.pk)) for p in page.rows]
        return ProductConnection(
            edges=edges,
            page_info=PageInfo.of(
                [edge.cursor for edge in edges],
                page.has_next_page,
                has_previous_page=after is not None,
            ),
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a product.", metadata=ONE_STATEMENT)
    def product_create(
        self,
        info: strawberry.Info,
        name: str,
        description: JSON | None = None,
        slug: str | None = None,
        is_published: bool | None = None,
    ) -> ProductCreatePayload:
        product = services.product_create(
            name=name,
            description=description,
            slug=slug,
            is_published=is_published,
            token=sent_token(info),  # checked in the insert's statement
        )
        return ProductCreatePayload(product=ProductType.of(product))

    @strawberry.mutation(description="Change the given fields of a product.")
    def product_update(
        self,
        info: strawberry.Info,
        id: strawberry.ID,
        name: str | None = None,
        description: JSON | None = strawberry.UNSET,
        slug: str | None = None,
        is_published: bool | None = None,
    ) -> ProductUpdatePayload:
        require_token(info)
        changes: dict[str, Any] = {"name": name, "slug": slug, "is_published": is_published}
        if description is not strawberry.UNSET:
            changes["description"] = description
        product = services.product_update(pk=_pk(id), **changes)
        return ProductUpdatePayload(product=ProductType.of(product))

    @strawberry.mutation(description="Delete a product; returns it with its ID.")
    def product_delete(self, info: strawberry.Info, id: strawberry.ID) -> ProductDeletePayload:
        require_token(info)
        return ProductDeletePayload(product=ProductType.of(services.product_delete(pk=_pk(id))))


schema = build_schema(query=Query, mutation=Mutation)
