"""Demo follow-ups: about half the open deals carry the rep's next step as an open follow-up,
due from a week ago to three weeks ahead; every rep has a visit due today and a call that is
two days overdue, so My day is never empty in the demo."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from core.demo.build import DemoBuild
from core.demo.columns import day_number, iso_days, pick
from db.schema import FollowUp

KINDS = ("call", "visit", "meeting", "email", None)


def add_follow_ups(build: DemoBuild) -> None:
    """Open follow-ups on open deals, owned by the deal's rep."""
    d, rng = build.deal, build.rng
    today = day_number(build.today)
    open_deals = np.flatnonzero(d["open"])
    if not len(open_deals):
        return
    chosen = open_deals[rng.random(len(open_deals)) < 0.5]
    chosen = chosen[np.argsort(d["rep"][chosen], kind="stable")]  # grouped by rep
    due = today + rng.integers(-7, 22, len(chosen))
    kinds = pick(rng, KINDS, len(chosen), p=[0.35, 0.2, 0.1, 0.15, 0.2])
    titles = pick(rng, build.words.follow_ups, len(chosen))
    # Each rep's first two chosen deals: a visit today and a call two days late.
    reps = d["rep"][chosen]
    _, first = np.unique(reps, return_index=True)
    second = np.array(
        [i + 1 for i in first if i + 1 < len(reps) and reps[i + 1] == reps[i]], dtype=np.int64
    )
    due[first], kinds[first] = today, "visit"
    titles[first] = build.words.visit_today
    if len(second):
        due[second], kinds[second] = today - 2, "call"
        titles[second] = build.words.call_late
    created = datetime.combine(build.today, datetime.min.time()).isoformat(sep=" ")
    build.insert(
        FollowUp,
        {
            "owner_id": build.rep_ids[d["rep"][chosen]],
            "deal_id": chosen + 1,
            "customer_id": d["customer"][chosen] + 1,
            "title": titles,
            "kind": kinds,
            "due_on": iso_days(due),
            "due_at": [None] * len(chosen),
            "first_due_on": iso_days(due),
            "status": ["open"] * len(chosen),
            "snooze_count": np.zeros(len(chosen), dtype=np.int64),
            "created_at": [created] * len(chosen),
            "created_by_id": build.rep_ids[d["rep"][chosen]],
        },
    )
