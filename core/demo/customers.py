"""Demo customers: owned by reps (better reps own more), named from the vocabulary, with a
segment, industry and potential; their status follows their deals."""

from __future__ import annotations

from datetime import date

import numpy as np
from sqlalchemy import bindparam

from core.customers.names import normalize_name
from core.demo.build import DemoBuild
from core.demo.columns import day_number, iso_days, pick
from core.demo.vocabulary import SEGMENTS
from db.base import table_of
from db.schema import Customer


def add_customers(build: DemoBuild) -> None:
    """The customers' columns; they are written with their status once the deals are known."""
    n, rng, reps = build.scale.customers, build.rng, len(build.rep_ids)
    words = build.words
    name_a, name_b, name_c, legal_forms = words.name_a, words.name_b, words.name_c, words.legal
    owner = np.concatenate(
        [
            np.arange(min(n, reps)),
            rng.choice(reps, size=max(0, n - reps), p=build.rep_skill / build.rep_skill.sum()),
        ]
    )
    region = build.rep_region[owner]
    names, keys = [], []
    seen: set[tuple[int, str]] = set()
    parts = (
        rng.integers(0, len(name_a), n),
        rng.integers(0, len(name_b), n),
        rng.integers(0, len(name_c), n),
        rng.integers(0, len(legal_forms), n),
    )
    for i in range(n):
        base = words.customer(name_a[parts[0][i]], name_b[parts[1][i]], name_c[parts[2][i]])
        name, suffix = base, 1
        while (int(region[i]), normalize_name(name)) in seen:
            suffix += 1
            name = f"{base} {suffix}"
        full = words.with_legal(name, legal_forms[parts[3][i]])
        seen.add((int(region[i]), normalize_name(name)))
        names.append(full)
        keys.append(normalize_name(full))
    segment = rng.choice(len(SEGMENTS), size=n, p=[0.2, 0.45, 0.35])
    seg_factor = np.array([s[1] for s in SEGMENTS])[segment]
    potential = np.round(rng.lognormal(11.5, 0.6, n) * seg_factor, -3).astype(np.int64)
    created = day_number(build.window_start) - rng.integers(0, 1500, n)
    build.customer_owner, build.customer_region = owner, region
    build.customer_seg_factor = seg_factor
    build.customer_cols = {
        "id": np.arange(1, n + 1),
        "external_id": [f"C{i:07d}" for i in range(1, n + 1)],
        "name": names,
        "normalized_name": keys,
        "industry": pick(rng, words.industries, n),
        "segment": np.array(words.segments, dtype=object)[segment],
        "region_id": region,
        "owner_id": build.rep_ids[owner],
        "annual_potential": potential,
        "created_on": iso_days(created),
    }


def customer_status(build: DemoBuild, customer, won, closed_on) -> dict:
    """Active with a win in the last 18 months, dormant with an older one, else prospect."""
    n = build.scale.customers
    last_win = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_win, customer[won], closed_on[won])
    has_deal = np.bincount(customer, minlength=n) > 0
    recent = last_win >= day_number(build.today) - 540
    status = np.where(recent, "active", np.where(last_win >= 0, "dormant", "prospect"))
    status[~has_deal] = "prospect"
    return {"status": status.astype(object)}


def store_last_contact_dates(build: DemoBuild) -> None:
    """Store each customer's last contact date (used by the neglected-customer filter)."""
    last = build.customer_last_activity
    has = last >= 0
    ids = (np.flatnonzero(has) + 1).tolist()
    dates = iso_days(last[has]).tolist()
    table = table_of(Customer)
    stmt = (
        table.update()
        .where(table.c.id == bindparam("cid"))
        .values(last_activity_on=bindparam("day"))
    )
    for start in range(0, len(ids), 50_000):
        build.conn.execute(
            stmt,
            [
                {"cid": i, "day": date.fromisoformat(s)}
                for i, s in zip(ids[start : start + 50_000], dates[start : start + 50_000])
            ],
        )
