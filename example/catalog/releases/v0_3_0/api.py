"""The GraphQL API of release 0.3.0."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from catalog.common.auth import require_token, sent_token
from catalog.common.global_ids import decode_global_id, encode_global_id
from catalog.common.pagination import encode_cursor, keyset_page
from catalog.common.rows import get_by_pk
from catalog.common.schema import PageInfo, build_schema
from catalog.releases.v0_3_0 import services
from catalog.releases.v0_3_0.models import Product


@strawberry.type(name="Product", description="A catalog product.")
class ProductType:
    """The GraphQL view of a product row."""

    instance: strawberry.Private[Product]

    @strawberry.field(description="The relay global ID (base64 of `Product:<pk>`).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_global_id("Product", self.instance.pk))

    @strawberry.field(description="The name of the product.")
    def name(self) -> str:
        return self.instance.name

    @strawberry.field(description="Description of the product (any JSON value).")
    def description(self) -> JSON | None:
        return self.instance.description

    @strawberry.field(description="When the product was created.")
    def created_at(self) -> datetime:
        return self.instance.created_at

    @strawberry.field(description="Unique, URL-friendly name.")
    def slug(self) -> str:
        return self.instance.slug

    @strawberry.field(description="Whether the product is visible to shoppers.")
    def is_published(self) -> bool:
        return self.instance.is_published


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
        return ProductType(instance=product) if product else None

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
        edges = [
            ProductEdge(node=ProductType(instance=p), cursor=encode_cursor(p.pk)) for p in page.rows
        ]
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
    @strawberry.mutation(description="Create a product.")
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
        return ProductCreatePayload(product=ProductType(instance=product))

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
        return ProductUpdatePayload(product=ProductType(instance=product))

    @strawberry.mutation(description="Delete a product; returns it with its ID.")
    def product_delete(self, info: strawberry.Info, id: strawberry.ID) -> ProductDeletePayload:
        require_token(info)
        return ProductDeletePayload(
            product=ProductType(instance=services.product_delete(pk=_pk(id)))
        )


schema = build_schema(query=Query, mutation=Mutation)
