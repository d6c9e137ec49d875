"""The demo catalogue: products with list prices, and the standard stages."""

from __future__ import annotations

import json

from core.demo.build import DemoBuild
from core.demo.vocabulary import PRODUCTS
from core.pipeline.standard_stages import STANDARD_STAGES as STAGES
from db.schema import Product, Stage


def add_catalogue(build: DemoBuild) -> None:
    """The products and the standard stages."""
    build.insert(
        Product,
        {
            "id": list(range(1, len(PRODUCTS) + 1)),
            "name": [p[0] for p in PRODUCTS],
            "product_line": [p[1] for p in PRODUCTS],
            "list_price": [p[2] for p in PRODUCTS],
            "active": [True] * len(PRODUCTS),
        },
    )
    build.insert(
        Stage,
        {
            "id": list(range(1, len(STAGES) + 1)),
            "name": [s[0] for s in STAGES],
            "position": list(range(1, len(STAGES) + 1)),
            "probability": [s[1] for s in STAGES],
            "is_won": [s[0] == "Won" for s in STAGES],
            "is_lost": [s[0] == "Lost" for s in STAGES],
            "exit_checklist": [json.dumps(s[3]) for s in STAGES],
            "required_roles": [json.dumps(s[4]) for s in STAGES],
            "max_days": [s[2] for s in STAGES],
        },
    )
