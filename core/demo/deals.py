"""Demo deals: three fiscal years of them, with a fate decided by the rep's skill, stage
history, lead to cash for won deals, and the deal teams the later stages need. Their currencies,
rates and split credit come from core.demo.money.

Some open deals are stalled, slipping or overdue, so the alerts have something to find.
"""

from __future__ import annotations

import json
from datetime import date

import numpy as np
from sqlalchemy import bindparam

from core.demo.build import DemoBuild
from core.demo.columns import (
    NULL,
    day_number,
    iso_days,
    iso_days_or_none,
    office_timestamps,
)
from core.demo.customers import customer_status
from core.demo.money import (
    add_credit_splits,
    price_deals,
    pricing_days,
    this_quarter,
    write_credit_splits,
)
from core.demo.vocabulary import LOST_REASONS, PRODUCTS
from core.periods import quarter_of
from core.pipeline.stage_stays import rebuild_all_stays
from core.pipeline.standard_stages import STANDARD_STAGES as STAGES
from db.base import table_of
from db.schema import Customer, Deal, DealStageHistory, DealTeamMember, Person

OPEN_STAGES = 6  # Lead .. Negotiation; index 6 is Won, 7 is Lost
ADVANCE = np.array([0.55, 0.70, 0.75, 0.80, 0.80, 0.85])
"""Chance that a deal moves on from each open stage (the last one: to Won)."""


def add_deals(build: DemoBuild) -> None:
    """The deals and their stage history (and the customers, whose status follows them)."""
    rng, n, reps = build.rng, build.scale.deals, len(build.rep_ids)
    today = day_number(build.today)
    start = day_number(build.window_start) - 90
    active_from = np.maximum(build.rep_hire, start)
    weight = build.rep_skill * np.maximum(today - active_from, 1)
    rep = rng.choice(reps, size=n, p=weight / weight.sum())

    # Created date: uniform over the rep's active time, thinned by season (Q4 busier).
    season = np.array([0.8, 0.85, 1.0, 0.9, 0.95, 1.05, 0.8, 0.75, 1.0, 1.05, 1.15, 1.2])
    created = np.empty(n, dtype=np.int64)
    todo = np.arange(n)
    while len(todo):
        span = today - 1 - active_from[rep[todo]]
        candidate = active_from[rep[todo]] + (rng.random(len(todo)) * span).astype(np.int64)
        months = candidate.astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12
        keep = rng.random(len(todo)) < season[months] / season.max()
        created[todo[keep]] = candidate[keep]
        todo = todo[~keep]

    # Close date: a sales cycle of about two and a half months, pushed to quarter ends.
    cycle = np.clip(rng.lognormal(np.log(70), 0.55, n), 10, 420).astype(np.int64)
    close = created + cycle
    close_month = close.astype("datetime64[D]").astype("datetime64[M]")
    quarter_end = (close_month.astype(int) // 3 * 3 + 3).astype("datetime64[M]").astype(
        "datetime64[D]"
    ).astype(np.int64) - 1
    push = (rng.random(n) < 0.35) & (quarter_end - close < 45)
    close[push] = quarter_end[push] - rng.integers(0, 12, push.sum())
    close = np.maximum(close, created + 7)

    # Customer: one of the rep's own customers.
    order = np.argsort(build.customer_owner, kind="stable")
    counts = np.bincount(build.customer_owner, minlength=reps)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    customer = order[offsets[rep] + (rng.random(n) * counts[rep]).astype(np.int64)]

    product = rng.choice(len(PRODUCTS), size=n, p=[0.22, 0.1, 0.18, 0.1, 0.15, 0.13, 0.12])
    price = np.array([p[2] for p in PRODUCTS])[product]
    quantity = np.clip(rng.lognormal(0, 0.5, n), 0.3, 6)
    amount = (
        price * quantity * build.customer_seg_factor[customer] * (0.6 + 0.4 * build.rep_skill[rep])
    )
    amount = np.maximum(np.round(amount, -1), 100).astype(np.int64)
    # Units sold: the deal's value in list prices, at least one (enterprise deals buy more
    # seats and sites; a small one buys one at a discount). Drawn from nothing new, so the
    # rest of the data stays put.
    units = np.maximum(np.rint(amount / price), 1).astype(np.int64)

    # Fate: how far each deal gets. Better reps convert better at every stage.
    skill = build.rep_skill[rep][:, None]
    chance = np.clip(ADVANCE[None, :] * skill**0.35, 0.05, 0.97)
    passed = np.cumprod(rng.random((n, OPEN_STAGES)) < chance, axis=1)
    reached = passed.sum(axis=1)  # 0..6; 6 means won
    close = demo_rep_wins_this_quarter(build, rep, created, close, reached == OPEN_STAGES)

    # A deal is lost a little after it stops at its last stage; one that survives them all
    # is won at its close date. Deals still running today are open, at the stage the
    # elapsed share of their cycle has brought them to; so late-stage open deals are the
    # survivors, as in a real pipeline.
    lost_at = np.minimum(reached, OPEN_STAGES - 1)
    lost_day = created + ((close - created) * (lost_at + 1) / (OPEN_STAGES + 1)).astype(int)
    elapsed = (today - created) / np.maximum(close - created, 1)
    open_stage = np.minimum((elapsed * OPEN_STAGES).astype(np.int64), OPEN_STAGES - 1)
    won = (close <= today) & (reached == OPEN_STAGES)
    lost = (reached < OPEN_STAGES) & (
        (close <= today) | (lost_day < today) & (reached < open_stage)
    )
    closed = won | lost
    stage = np.where(won, OPEN_STAGES, np.where(lost, OPEN_STAGES + 1, 0))
    closed_on = np.where(lost, lost_day, close)
    closed_on = np.maximum(closed_on, created + 1)

    # Open deals: the stage follows the elapsed share of the cycle.
    is_open = ~closed
    stage = np.where(is_open, open_stage, stage)
    last_stage = np.where(is_open, open_stage, np.where(won, OPEN_STAGES - 1, lost_at))
    stage_entered = np.where(
        is_open, created + ((close - created) * open_stage / OPEN_STAGES).astype(int), closed_on
    )
    stage_entered = np.minimum(stage_entered, today)
    expected = close.copy()
    slips = np.zeros(n, dtype=np.int64)

    open_idx = np.flatnonzero(is_open)
    # Some open deals stall: stuck in their stage for months.
    stalled = open_idx[rng.random(len(open_idx)) < 0.08]
    stage_entered[stalled] = today - rng.integers(60, 200, len(stalled))
    created[stalled] = np.minimum(created[stalled], stage_entered[stalled] - 14)
    # Some slip: the expected close moved two or three times.
    slipping = open_idx[rng.random(len(open_idx)) < 0.12]
    slips[slipping] = rng.integers(2, 4, len(slipping))
    some_slip = open_idx[rng.random(len(open_idx)) < 0.15]
    slips[some_slip] = np.maximum(slips[some_slip], 1)
    # Some are overdue: the expected close passed and nobody updated it.
    overdue = open_idx[rng.random(len(open_idx)) < 0.04]
    expected[overdue] = today - rng.integers(1, 30, len(overdue))
    stage_entered = np.minimum(stage_entered, today)
    stage_entered = np.maximum(stage_entered, created)

    forecast = np.full(n, "pipeline", dtype=object)
    forecast[is_open & (stage >= 5)] = "commit"
    forecast[is_open & (stage >= 3) & (stage < 5)] = "best_case"
    forecast[is_open & (rng.random(n) < 0.05)] = "omitted"
    forecast[won] = "commit"
    forecast[lost] = "omitted"
    status = np.where(won, "won", np.where(lost, "lost", "open")).astype(object)
    next_steps = np.array(build.words.next_steps, dtype=object)

    # Lead to cash for won deals: most signed, many invoiced, older ones paid.
    cash = np.full(n, None, dtype=object)
    age = today - closed_on
    cash[won] = "contract_signed"
    cash[won & (age > 20)] = "invoiced"
    cash[won & (age > 60)] = "paid"
    signed = won
    invoiced = np.isin(cash, ["invoiced", "paid"])
    paid = cash == "paid"

    # Currencies by region, weekly rates, a few deals not priced, and split credit.
    money = price_deals(
        build,
        rep,
        amount,
        created,
        pricing_days(closed, closed_on, build.today),
        this_quarter(build, won, closed_on, is_open, expected),
        is_open,
    )
    splits = add_credit_splits(build, money, rep, created)
    value, amount = amount, money.amount

    ids = np.arange(1, n + 1)
    owner_ids = build.rep_ids[rep]
    build.deal = {
        "rep": rep,
        "customer": customer,
        "created": created,
        "closed_on": closed_on,
        "won": won,
        "lost": lost,
        "open": is_open,
        "stage": stage,
        "last_stage": last_stage,
        "stage_entered": stage_entered,
        "amount": amount,
        "value": value,
        "units": units,
        "expected": expected,
    }
    build.insert(
        Customer, {**build.customer_cols, **customer_status(build, customer, won, closed_on)}
    )
    reason = rng.choice(len(LOST_REASONS), size=n)  # ids of the catalogue's lost reasons
    build.insert(
        Deal,
        {
            "id": ids,
            "external_id": [f"D{i:08d}" for i in ids],
            "name": [
                build.words.deal(build.words.products[p][0], build.customer_cols["name"][c])
                for p, c in zip(product.tolist(), customer.tolist())
            ],
            "customer_id": customer + 1,
            "owner_id": owner_ids,
            "region_id": build.rep_region[rep],
            "product_id": product + 1,
            "quantity": units,
            "amount": amount,
            "currency": money.currency,
            "company_amount": money.company_amounts(),
            "credit_shared": money.shared,
            "stage_id": stage + 1,
            "status": status,
            "forecast_category": forecast,
            "created_on": iso_days(created),
            "expected_close": iso_days(expected),
            "closed_on": iso_days_or_none(closed_on, closed),
            "lost_reason": np.where(
                lost, np.array(build.words.lost_reasons, dtype=object)[reason], NULL
            ),
            "lost_reason_id": _listed(reason, lost),
            "next_step": np.where(is_open, next_steps[np.minimum(stage, 5)], NULL),
            "stage_entered_on": iso_days(stage_entered),
            "close_date_changes": slips,
            "checklist_done": [
                json.dumps(STAGES[s][3] if s < OPEN_STAGES else []) if o and r < 0.85 else "[]"
                for s, o, r in zip(stage.tolist(), is_open.tolist(), rng.random(n).tolist())
            ],
            "cash_status": cash,
            "contract_signed_on": iso_days_or_none(closed_on + 3, signed),
            "contract_amount": np.where(signed, amount, NULL),
            "invoiced_on": iso_days_or_none(closed_on + 20, invoiced),
            "invoiced_amount": np.where(invoiced, amount, NULL),
            "paid_on": iso_days_or_none(closed_on + 55, paid),
            "paid_amount": np.where(paid, amount, NULL),
            "version": np.ones(n, dtype=np.int64),
        },
    )
    write_credit_splits(build, splits)
    _stage_history(build, ids, owner_ids)


def demo_rep_wins_this_quarter(
    build: DemoBuild, rep: np.ndarray, created: np.ndarray, close: np.ndarray, winning
) -> np.ndarray:
    """The close dates, where the demo rep ("rep", rep 0) has won something this quarter by
    today: when none of their winning deals closes in it by today (early in a quarter), the
    next one to close (open for a week at least) closes today instead."""
    today = day_number(build.today)
    start = day_number(quarter_of(build.today).start)
    mine = (rep == 0) & winning
    if (mine & (close >= start) & (close <= today)).any():
        return close
    later = np.flatnonzero(mine & (close > today) & (created + 7 <= today))
    if not len(later):
        return close
    close = close.copy()
    close[later[np.argmin(close[later])]] = today
    return close


def _listed(reason: np.ndarray, lost: np.ndarray) -> list[int | None]:
    """The lost reason's id on the catalogue's list for each lost deal (None for the others)."""
    return [r + 1 if x else None for r, x in zip(reason.tolist(), lost.tolist(), strict=True)]


def _stage_history(build: DemoBuild, ids: np.ndarray, owner_ids: np.ndarray) -> None:
    d, rng = build.deal, build.rng
    final = d["won"] | d["lost"]
    # Rows per deal: entering Lead, each later open stage reached, then Won/Lost if closed.
    steps = d["last_stage"] + 1 + final
    deal_idx = np.repeat(np.arange(len(ids)), steps)
    first = np.concatenate([[0], np.cumsum(steps)[:-1]])
    k = np.arange(len(deal_idx)) - np.repeat(first, steps)
    last_k = steps[deal_idx] - 1
    is_final = final[deal_idx] & (k == last_k)
    to_stage = np.where(is_final, d["stage"][deal_idx], k)
    from_stage = np.where(k == 0, -1, np.where(is_final, d["last_stage"][deal_idx], k - 1))
    start = d["created"][deal_idx]
    end = np.where(final, d["closed_on"], d["stage_entered"])[deal_idx]
    open_steps = (d["last_stage"] + 1)[deal_idx]
    when = start + (
        (end - start) * np.minimum(k, open_steps - 1) / np.maximum(open_steps - 1, 1)
    ).astype(np.int64)
    when = np.where(is_final, d["closed_on"][deal_idx], when)
    amount = d["amount"][deal_idx]
    earlier = ~is_final & (k < last_k)
    amount = np.where(
        earlier, np.round(amount * rng.uniform(0.85, 1.15, len(amount)), -1), amount
    ).astype(np.int64)
    build.insert(
        DealStageHistory,
        {
            "deal_id": ids[deal_idx],
            "from_stage_id": np.where(from_stage < 0, NULL, from_stage + 1),
            "to_stage_id": to_stage + 1,
            "changed_by_id": owner_ids[deal_idx],
            "changed_at": office_timestamps(when, rng, step=k),
            "amount": amount,
        },
    )
    rebuild_all_stays(build.conn)


def add_deal_teams(build: DemoBuild) -> None:
    """The deal-team roles each stage needs, on open deals and this year's won ones."""
    d, rng = build.deal, build.rng
    current_year = d["closed_on"] >= day_number(date(build.fy, 1, 1))
    relevant = np.flatnonzero(d["open"] | (d["won"] & current_year))
    team_rows: dict[str, list] = {"deal_id": [], "person_id": [], "role": []}
    rep_by_team: dict[int, np.ndarray] = {}
    for t in range(len(build.team_ids)):
        rep_by_team[t] = np.flatnonzero(build.rep_team == t)
    stage = d["stage"][relevant]
    reps = d["rep"][relevant]
    coin = rng.random((len(relevant), 6))
    for i, (deal_index, stage_index, rep) in enumerate(
        zip(relevant.tolist(), stage.tolist(), reps.tolist())
    ):
        reached = OPEN_STAGES if stage_index >= OPEN_STAGES else stage_index
        team = int(build.rep_team[rep])
        team_region = build.team_ids[team]
        members = []
        if reached >= 2 and coin[i, 0] < 0.9:
            peers = rep_by_team[team]
            peer = int(peers[(deal_index + 1) % len(peers)])
            if peer != rep:
                members.append((int(build.rep_ids[peer]), "pre-sales engineer"))
        if reached >= 3 and coin[i, 1] < 0.9:
            peers = rep_by_team[(team + 1) % len(build.team_ids)]
            members.append(
                (int(build.rep_ids[peers[deal_index % len(peers)]]), "solution consultant")
            )
        if reached >= 4 and coin[i, 2] < 0.88:
            members.append((build.team_manager[team_region], "executive sponsor"))
        if reached >= 5 and coin[i, 3] < 0.9:
            members.append((build.top_manager[build.team_top[team]], "finance"))
        if reached >= 5 and coin[i, 4] < 0.9:
            members.append((build.director_id, "legal"))
        if reached >= 6:
            members.append((build.director_id, "executive"))
        for person_id, role in members:
            team_rows["deal_id"].append(deal_index + 1)
            team_rows["person_id"].append(person_id)
            team_rows["role"].append(role)
    build.insert(DealTeamMember, team_rows)
    give_functions(build, team_rows)


def give_functions(build: DemoBuild, team_rows: dict[str, list]) -> None:
    """Everyone on a demo deal team has the function of the role they sit in; the regional
    managers can also be executive sponsor and finance, the director legal and executive, so
    a manager or the director can staff any deal of the demo."""
    functions: dict[int, list[str]] = {}
    for person_id, role in zip(team_rows["person_id"], team_rows["role"]):
        held = functions.setdefault(int(person_id), [])
        if role not in held:
            held.append(role)
    senior = [(int(pid), ["executive sponsor", "finance"]) for pid in build.top_manager.values()]
    for person_id, extra in [*senior, (int(build.director_id), ["legal", "executive"])]:
        held = functions.setdefault(person_id, [])
        held.extend(role for role in extra if role not in held)
    if not functions:
        return
    table = table_of(Person)
    stmt = (
        table.update()
        .where(table.c.id == bindparam("pid"))
        .values(functions=bindparam("fns", type_=table.c.functions.type))
    )
    build.conn.execute(stmt, [{"pid": pid, "fns": fns} for pid, fns in functions.items()])
