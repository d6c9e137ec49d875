"""Product lines a plan may target: the lines of the catalogue's active products.

Only revenue and units targets can be set by product line (visits and new deals have none).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import ValidationFailed
from core.i18n import _
from core.models import Measure
from db.schema import Product

LINE_MEASURES = (Measure.REVENUE, Measure.UNITS)


def product_lines(session: Session) -> list[str]:
    """The product lines of the catalogue's active products, in name order."""
    return list(
        session.scalars(
            select(Product.product_line)
            .where(Product.active.is_(True))
            .distinct()
            .order_by(Product.product_line)
        )
    )


def check_line(session: Session, measure: Measure, product_line: str) -> None:
    """A line plan targets revenue or units of a product line the catalogue has."""
    if measure not in LINE_MEASURES:
        raise ValidationFailed(_("Only revenue and units targets can be set by product line."))
    lines = product_lines(session)
    if product_line not in lines:
        known = ", ".join(lines) or _("none yet")
        raise ValidationFailed(
            _(
                "There is no product line '{product_line}' in the catalogue (lines: {known})."
            ).format(product_line=product_line, known=known)
        )
