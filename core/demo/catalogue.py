"""The demo catalogue: products with list prices, the standard stages and the lost reasons."""

from __future__ import annotations

import json

from core.demo.build import DemoBuild
from core.pipeline.standard_stages import STANDARD_STAGES as STAGES
from db.schema import LostReason, Product, Stage


def add_catalogue(build: DemoBuild) -> None:
    """The products, the standard stages and the list of lost reasons."""
    products, lost_reasons = build.words.products, build.words.lost_reasons
    build.insert(
        Product,
        {
            "id": list(range(1, len(products) + 1)),
            "name": [p[0] for p in products],
            "product_line": [p[1] for p in products],
            "list_price": [p[2] for p in products],
            "active": [True] * len(products),
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
    build.insert(
        LostReason,
        {
            "id": list(range(1, len(lost_reasons) + 1)),
            "name": list(lost_reasons),
            "active": [True] * len(lost_reasons),
            "position": list(range(1, len(lost_reasons) + 1)),
        },
    )
