"""Importing products: matched by name; a product line and list price when given."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.org import audit
from core.transfer.formats import Kind, ProductRow
from core.transfer.import_context import ImportContext, ImportResult, repeated_in_file, same_value
from db.schema import Product


def import_products(ctx: ImportContext, dry_run: bool) -> ImportResult:
    present = ctx.rows.present
    rows: list[tuple[int, ProductRow]] = []
    seen: dict = {}
    for number, row, _ in ctx.rows.of(ProductRow):
        if not repeated_in_file(ctx, number, "name", row.name, row.name.lower(), seen):
            rows.append((number, row))
    ctx.fail_if_problems()
    existing = {p.name.lower(): p for p in ctx.session.scalars(select(Product))}
    result = ImportResult(kind=Kind.PRODUCTS, dry_run=dry_run)
    for _, row in rows:
        current = existing.get(row.name.lower())
        values: dict[str, Any] = {
            k: getattr(row, k) for k in ("product_line", "list_price") if k in present
        }
        if current is None:
            result.created += 1
            if not dry_run:
                product = Product(
                    name=row.name, product_line=row.product_line, list_price=row.list_price
                )
                ctx.session.add(product)
                ctx.session.flush()
                audit.record(
                    ctx.session, ctx.actor, "import", "product", product.id, after=row.model_dump()
                )
        elif any(not same_value(getattr(current, k), v) for k, v in values.items()):
            result.updated += 1
            if not dry_run:
                before = {k: getattr(current, k) for k in values}
                for k, v in values.items():
                    setattr(current, k, v)
                audit.record(
                    ctx.session,
                    ctx.actor,
                    "import",
                    "product",
                    current.id,
                    before=before,
                    after=values,
                )
        else:
            result.unchanged += 1
    return result
