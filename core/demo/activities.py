"""Demo activities and pipeline reviews: visits, calls and meetings on deals (stalled deals go
quiet), and fortnightly reviews of each rep's open deals with follow-up actions."""

from __future__ import annotations

import numpy as np

from core.demo.build import DemoBuild
from core.demo.columns import NULL, day_number, iso_days, office_timestamps, pick
from core.pipeline import last_activity
from db.schema import Activity, PipelineReview, ReviewCommitment, ReviewDeal


def add_activities(build: DemoBuild) -> None:
    """Activities on deals between their creation and close (or today); stalled deals go quiet.
    Each deal's last activity day is stored after them (core.pipeline.last_activity)."""
    d, rng = build.deal, build.rng
    n = len(d["rep"])
    per_deal = rng.poisson(build.scale.activities_per_deal, n)
    idx = np.repeat(np.arange(n), per_deal)
    end = np.where(d["open"], day_number(build.today), d["closed_on"])[idx]
    start = d["created"][idx]
    when = start + (rng.random(len(idx)) * np.maximum(end - start, 0)).astype(np.int64)
    # Stalled deals go quiet: no activity in their last weeks.
    quiet = d["open"][idx] & (d["stage_entered"][idx] < day_number(build.today) - 60)
    when = np.where(quiet, np.minimum(when, d["stage_entered"][idx]), when)
    kinds = pick(
        rng,
        ("visit", "call", "email", "meeting", "demo"),
        len(idx),
        p=[0.25, 0.35, 0.25, 0.1, 0.05],
    )
    customer = d["customer"][idx]
    build.insert(
        Activity,
        {
            "type": kinds,
            "occurred_on": iso_days(when),
            "person_id": build.rep_ids[d["rep"][idx]],
            "customer_id": customer + 1,
            "deal_id": idx + 1,
            "outcome": pick(rng, build.words.outcomes, len(idx)),
            "notes": np.where(rng.random(len(idx)) < 0.3, build.words.activity_note, NULL),
            "created_at": office_timestamps(when, rng),
        },
    )
    last = np.full(build.scale.customers, -1, dtype=np.int64)
    np.maximum.at(last, customer, when)
    build.customer_last_activity = last
    last_activity.refresh_all_deals(build.conn)


def add_pipeline_reviews(build: DemoBuild) -> None:
    """Fortnightly reviews of each rep's open deals with their manager, with one follow-up each."""
    d, rng = build.deal, build.rng
    today = day_number(build.today)
    reviews: dict[str, list] = {
        "id": [],
        "rep_id": [],
        "manager_id": [],
        "held_on": [],
        "notes": [],
    }
    discussed: dict[str, list] = {"review_id": [], "deal_id": []}
    commitments: dict[str, list] = {
        "review_id": [],
        "deal_id": [],
        "description": [],
        "due_on": [],
        "done_on": [],
    }
    open_by_rep: dict[int, np.ndarray] = {}
    open_idx = np.flatnonzero(d["open"])
    for rep_index in range(len(build.rep_ids)):
        open_by_rep[rep_index] = open_idx[d["rep"][open_idx] == rep_index]
    reviews_per_rep = 6 if len(build.rep_ids) <= 200 else 2
    for rep_index, rep_id in enumerate(build.rep_ids.tolist()):
        manager = build.team_manager[int(build.rep_region[rep_index])]
        deals = open_by_rep[rep_index]
        for r in range(reviews_per_rep):
            held = today - 14 * (reviews_per_rep - r) + int(rng.integers(0, 4))
            if held < build.rep_hire[rep_index]:
                continue
            review_id = len(reviews["id"]) + 1
            reviews["id"].append(review_id)
            reviews["rep_id"].append(rep_id)
            reviews["manager_id"].append(manager)
            reviews["held_on"].append(iso_days(np.array([held]))[0])
            reviews["notes"].append(build.words.review_note)
            chosen: np.ndarray | list[int] = (
                deals[:: max(1, len(deals) // 3)][:3] if len(deals) else []
            )
            for deal_index in list(chosen):
                discussed["review_id"].append(review_id)
                discussed["deal_id"].append(int(deal_index) + 1)
            if len(chosen):
                due = held + 14
                commitments["review_id"].append(review_id)
                commitments["deal_id"].append(int(chosen[0]) + 1)
                commitments["description"].append(build.words.commitment)
                commitments["due_on"].append(iso_days(np.array([due]))[0])
                commitments["done_on"].append(
                    iso_days(np.array([due - 2]))[0] if due < today else None
                )
    build.insert(PipelineReview, reviews)
    build.insert(ReviewDeal, discussed)
    build.insert(ReviewCommitment, commitments)
