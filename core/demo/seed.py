"""Demo data that looks like a real business: a region tree, reps of different skill, customers,
three fiscal years of deals with stage history, deal teams, activities, pipeline reviews and an
approved target plan per year, broken down with the planning rules; units and visits plans per
year, this year's revenue by product line, and two named seasonality profiles.

Deterministic for a given seed and "today". Generated column-wise with numpy and bulk-loaded,
so the large scale (1,000,000 deals) takes minutes, not hours.

The generation steps live in their own modules: org, catalogue, customers, deals, activities,
plans and measure_plans; this module runs them in order in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import Engine, func, select

from core import clock
from core.demo.activities import add_activities, add_pipeline_reviews
from core.demo.build import DemoBuild, Progress
from core.demo.catalogue import add_catalogue
from core.demo.customers import add_customers, store_last_contact_dates
from core.demo.deals import add_deal_teams, add_deals
from core.demo.follow_ups import add_follow_ups
from core.demo.measure_plans import add_measure_plans
from core.demo.org import add_organisation
from core.demo.plans import add_target_plans
from core.demo.scales import SCALES
from core.demo.words import words_for
from db.bulk import check_references, reset_id_sequences, skip_reference_checks
from db.schema import AppSetting, AuditLog, Base, Person


def is_empty(engine: Engine) -> bool:
    """Whether the database has nobody in it yet (then the demo data fills it)."""
    with engine.connect() as conn:
        return not conn.scalar(select(func.count()).select_from(Person))


def wipe(engine: Engine) -> None:
    """Delete every row of every table (for `seed --reset`)."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


def add_settings_and_audit(build: DemoBuild, scale_name: str, seed: int) -> None:
    """The demo company's settings, and one audit entry saying what was generated."""
    settings = {
        "company_name": build.words.company,
        "fiscal_start_month": 1,
        "demo_data": True,
        "demo_accounts": build.words.accounts,
    }
    build.insert(
        AppSetting, {"key": list(settings), "value": [json.dumps(v) for v in settings.values()]}
    )
    build.insert(
        AuditLog,
        {
            "at": [datetime.now().isoformat(sep=" ", timespec="seconds")],
            "actor_id": [None],
            "actor_label": ["manage.py (administrator)"],
            "action": ["seed"],
            "entity": ["database"],
            "entity_id": [None],
            "before": [None],
            "after": [
                json.dumps(
                    {
                        "scale": scale_name,
                        "locale": build.words.locale,
                        "seed": seed,
                        "today": str(build.today),
                        **{k: v for k, v in build.counts.items()},
                    }
                )
            ],
        },
    )


def seed(
    engine: Engine,
    *,
    scale: str = "demo",
    seed: int = 42,
    today: date | None = None,
    progress: Progress | None = None,
    locale: str = "en",
) -> dict[str, int]:
    """Fill an empty database with demo data in one transaction; returns rows per table.
    `locale` names the company, its regions, people and customers in English ("en") or in
    Chinese ("zh_CN"), with the same figures."""
    words = words_for(locale)
    if scale not in SCALES:
        raise ValueError(f"Unknown scale '{scale}': choose one of {', '.join(SCALES)}.")
    progress = progress or (lambda _step, _share: None)
    today = today or clock.today()
    with engine.begin() as conn:
        checked_at_the_end = skip_reference_checks(conn)  # generated rows: checked set-wise
        build = DemoBuild(conn, SCALES[scale], seed, today, progress, words)
        steps: list[tuple[str, Callable[[DemoBuild], None]]] = [
            ("organisation", add_organisation),
            ("catalogue", add_catalogue),
            ("customers", add_customers),
            ("deals", add_deals),
            ("deal teams", add_deal_teams),
            ("activities", add_activities),
            ("customer contact dates", store_last_contact_dates),
            ("pipeline reviews", add_pipeline_reviews),
            ("follow-ups", add_follow_ups),
            ("target plans", add_target_plans),
            ("unit, visit and product-line plans", add_measure_plans),
            ("settings", lambda b: add_settings_and_audit(b, scale, seed)),
        ]
        for number, (name, step) in enumerate(steps):
            progress(name, number / len(steps))
            step(build)
        if checked_at_the_end:
            progress("checking references", 1.0)
            check_references(conn, Base.metadata.sorted_tables)
        reset_id_sequences(conn, Base.metadata.sorted_tables)
        progress("done", 1.0)
        return dict(build.counts)
