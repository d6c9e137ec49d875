"""Demo data that looks like a real business: a region tree, reps of different skill, customers,
three fiscal years of deals with stage history, deal teams, activities, pipeline reviews and an
approved target plan per year, broken down with the planning rules.

Deterministic for a given seed and "today". Generated column-wise with numpy and bulk-loaded,
so the large scale (1,000,000 deals) takes minutes, not hours.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy import Connection, Engine, func, select

from core.customers.names import normalize_name
from core.org.auth import hash_password
from core.periods import add_months
from core.pipeline.standard_stages import STANDARD_STAGES as STAGES
from core.planning import allocate, ramp_factors
from db.bulk import bulk_insert, reset_id_sequences
from db.schema import (
    Activity,
    AppSetting,
    AuditLog,
    Base,
    Customer,
    Deal,
    DealStageHistory,
    DealTeamMember,
    Person,
    PipelineReview,
    Product,
    Region,
    RegionManager,
    ReviewCommitment,
    ReviewDeal,
    ScorecardWeight,
    Stage,
    Target,
    TargetPlan,
)

DEMO_PASSWORD = "demo"
DEMO_ACCOUNTS = {
    "admin": "Administrator: people, stages, settings, imports",
    "director": "Sales director: the whole company",
    "manager": "Regional manager of the first region",
    "rep": "Sales rep in that region",
}

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Scale:
    regions: tuple[tuple[str, tuple[str, ...]], ...]
    reps: int
    customers: int
    deals: int
    activities_per_deal: float


_DEMO_REGIONS = (
    ("North America", ("US East", "US West", "Canada")),
    ("Europe", ("DACH", "UK & Ireland", "Nordics")),
    ("Asia Pacific", ("ANZ", "Japan")),
    ("Latin America", ("Brazil", "Mexico")),
    ("Middle East & Africa", ("Gulf", "South Africa")),
)

SCALES = {
    "small": Scale(_DEMO_REGIONS[:2], reps=12, customers=300, deals=2_500, activities_per_deal=1.5),
    "demo": Scale(_DEMO_REGIONS, reps=40, customers=2_000, deals=20_000, activities_per_deal=2.0),
    "large": Scale(
        tuple(
            (f"Region {i:02d}", tuple(f"Team {i:02d}-{t}" for t in "ABCD")) for i in range(1, 11)
        ),
        reps=2_000,
        customers=200_000,
        deals=1_000_000,
        activities_per_deal=1.0,
    ),
}

OPEN_STAGES = 6  # Lead .. Negotiation; index 6 is Won, 7 is Lost
ADVANCE = np.array([0.55, 0.70, 0.75, 0.80, 0.80, 0.85])
"""Chance that a deal moves on from each open stage (the last one: to Won)."""

PRODUCTS = (
    ("Core Platform", "Platform", 24_000),
    ("Core Platform Plus", "Platform", 48_000),
    ("Analytics Add-on", "Analytics", 9_000),
    ("Analytics Pro", "Analytics", 18_000),
    ("Field Service", "Services", 6_500),
    ("Onboarding Package", "Services", 3_500),
    ("Premium Support", "Services", 5_000),
)
SEGMENTS = (("Enterprise", 3.0), ("Mid-market", 1.0), ("SMB", 0.35))
INDUSTRIES = (
    "Manufacturing",
    "Retail",
    "Healthcare",
    "Finance",
    "Logistics",
    "Energy",
    "Technology",
    "Public sector",
    "Telecom",
    "Education",
)
LOST_REASONS = ("Price", "Competitor", "No decision", "Timing", "Product fit", "Budget cut")
OUTCOMES = (
    "Positive",
    "Follow-up agreed",
    "No answer",
    "Sent proposal",
    "Needs more info",
    "Neutral",
)
FIRST = (
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Elena",
    "Felix",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kara",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Paul",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Lena",
    "Marco",
    "Nina",
    "Omar",
    "Pia",
)
LAST = (
    "Schmidt",
    "Rossi",
    "Dubois",
    "Nakamura",
    "Silva",
    "Johnson",
    "Kowalski",
    "Larsen",
    "Okafor",
    "Haddad",
    "Moreau",
    "Berg",
    "Costa",
    "Tanaka",
    "Walsh",
    "Novak",
    "Fischer",
    "Ibrahim",
    "Lopez",
    "Meyer",
    "Andersen",
    "Kim",
    "Petrov",
    "Ahmed",
    "Murphy",
    "Weber",
)
NAME_A = (
    "Nord",
    "Sun",
    "Blue",
    "Iron",
    "Green",
    "Silver",
    "Alpine",
    "Coastal",
    "Prime",
    "Metro",
    "Bright",
    "Oak",
    "River",
    "Summit",
    "Polar",
    "Crest",
    "Union",
    "Atlas",
    "Orion",
    "Vertex",
    "Delta",
    "Nova",
    "Harbor",
    "Pioneer",
    "Granite",
    "Cedar",
    "Falcon",
    "Lumen",
    "Zenith",
    "Apex",
)
NAME_B = (
    "tech",
    "works",
    "logic",
    "field",
    "line",
    "point",
    "gate",
    "stone",
    "wave",
    "core",
    "bridge",
    "path",
    "star",
    "way",
    "ware",
    "labs",
    "mark",
    "port",
    "vale",
    "dyn",
)
NAME_C = (
    "Logistics",
    "Foods",
    "Health",
    "Energy",
    "Systems",
    "Retail",
    "Motors",
    "Finance",
    "Pharma",
    "Telecom",
    "Steel",
    "Media",
    "Construction",
    "Textiles",
    "Robotics",
    "Chemicals",
    "Airlines",
    "Insurance",
    "Hotels",
    "Software",
)
LEGAL = ("Ltd", "GmbH", "Inc", "SA", "AB", "BV", "", "", "")


def _iso(days: np.ndarray) -> np.ndarray:
    """Days since the epoch -> ISO date strings (object array)."""
    return np.datetime_as_string(days.astype("datetime64[D]")).astype(object)


def _iso_or_none(days: np.ndarray, present: np.ndarray) -> np.ndarray:
    out = _iso(np.where(present, days, 0))
    out[~present] = None
    return out


def _day(value: date) -> int:
    return (value - date(1970, 1, 1)).days


def _timestamps(days: np.ndarray, rng: np.random.Generator, step=None) -> np.ndarray:
    """Office-hours timestamps on the given days; with `step`, later steps come later."""
    if step is None:
        seconds = rng.integers(8 * 3600, 18 * 3600, size=len(days))
    else:
        seconds = 8 * 3600 + np.minimum(step, 50) * 600 + rng.integers(0, 600, size=len(days))
    stamps = days.astype("datetime64[D]").astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    return np.char.replace(np.datetime_as_string(stamps), "T", " ").astype(object)


def _pick(rng: np.random.Generator, options, size: int, p=None) -> np.ndarray:
    return np.array(options, dtype=object)[rng.choice(len(options), size=size, p=p)]


def is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return not conn.scalar(select(func.count()).select_from(Person))


def wipe(engine: Engine) -> None:
    """Delete every row of every table (for `seed --reset`)."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


class _Seeder:
    def __init__(self, conn: Connection, scale: Scale, seed: int, today: date, progress: Progress):
        self.conn, self.scale, self.today, self.progress = conn, scale, today, progress
        self.rng = np.random.default_rng(seed)
        self.fy = today.year  # demo company: fiscal year = calendar year
        self.window_start = date(self.fy - 2, 1, 1)
        self.counts: dict[str, int] = {}

    def insert(self, model, columns) -> None:
        self.counts[model.__tablename__] = bulk_insert(self.conn, model.__table__, columns)

    # --- organisation ---------------------------------------------------------------------

    def organisation(self) -> None:
        scale, rng = self.scale, self.rng
        names, parents = ["Company"], [None]
        self.team_ids, self.team_top, top_ids = [], [], []
        for top_name, teams in scale.regions:
            top_id = len(names) + 1
            names.append(top_name)
            parents.append(1)
            top_ids.append(top_id)
            for team in teams:
                self.team_ids.append(len(names) + 1)
                self.team_top.append(top_id)
                names.append(team)
                parents.append(top_id)
        self.region_names = names
        self.region_parent = parents
        self.insert(
            Region,
            {
                "id": list(range(1, len(names) + 1)),
                "name": names,
                "parent_id": parents,
                "active": [True] * len(names),
            },
        )

        password = hash_password(DEMO_PASSWORD)
        people: dict[str, list] = {
            k: []
            for k in (
                "id",
                "username",
                "email",
                "name",
                "role",
                "region_id",
                "reports_to_id",
                "hire_date",
                "active",
                "password_hash",
                "failed_logins",
            )
        }
        used_names: set[str] = set()

        def person_name(i: int) -> str:
            name = f"{FIRST[i % len(FIRST)]} {LAST[(i * 7 + i // len(FIRST)) % len(LAST)]}"
            while name in used_names:
                name += " Jr"
            used_names.add(name)
            return name

        def add(username, role, region_id, reports_to, hire, name=None) -> int:
            pid = len(people["id"]) + 1
            name = name or person_name(pid)
            people["id"].append(pid)
            people["username"].append(username)
            people["email"].append(f"{username}@example.com")
            people["name"].append(name)
            people["role"].append(role)
            people["region_id"].append(region_id)
            people["reports_to_id"].append(reports_to)
            people["hire_date"].append(hire)
            people["active"].append(True)
            people["password_hash"].append(password)
            people["failed_logins"].append(0)
            return pid

        early = (self.window_start - timedelta(days=900)).isoformat()
        add("admin", "admin", 1, None, early, "Alex Admin")
        self.director_id = add("director", "director", 1, None, early, "Dana Director")
        self.top_manager = {}
        self.team_manager = {}
        managers_rows = []
        for index, top_id in enumerate(top_ids):
            username = "manager" if index == 0 else f"manager.{index + 1}"
            pid = add(username, "manager", top_id, self.director_id, early)
            self.top_manager[top_id] = pid
            managers_rows.append((top_id, pid))
        for index, team_id in enumerate(self.team_ids):
            top = self.team_top[index]
            pid = add(f"lead.{index + 1}", "manager", team_id, self.top_manager[top], early)
            self.team_manager[team_id] = pid
            managers_rows.append((team_id, pid))

        # Reps: spread over teams; most hired long ago, some this year (ramping).
        n = scale.reps
        rep_team = np.arange(n) % len(self.team_ids)
        rng.shuffle(rep_team[1:])  # rep 0 ("rep") stays in the first team of the first region
        skill = np.clip(rng.normal(1.0, 0.25, n), 0.5, 1.6)
        window = _day(self.window_start)
        hire = window - rng.integers(60, 2000, n)
        new = rng.random(n) < 0.18
        hire[new] = rng.integers(window, _day(self.today) - 45, new.sum())
        this_year = rng.choice(np.arange(1, n), size=max(2, n // 12), replace=False)
        hire[this_year] = rng.integers(
            _day(date(self.fy, 1, 1)), _day(self.today) - 60, len(this_year)
        )
        hire[0] = window - 400
        self.rep_ids = np.zeros(n, dtype=np.int64)
        self.rep_region = np.zeros(n, dtype=np.int64)
        for i in range(n):
            team_id = self.team_ids[rep_team[i]]
            username = "rep" if i == 0 else f"rep.{i + 1}"
            self.rep_ids[i] = add(
                username, "rep", team_id, self.team_manager[team_id], _iso(np.array([hire[i]]))[0]
            )
            self.rep_region[i] = team_id
        self.rep_skill, self.rep_hire, self.rep_team = skill, hire, rep_team
        self.person_names = dict(zip(people["id"], people["name"]))
        self.insert(Person, people)
        self.insert(
            RegionManager,
            {
                "region_id": [r for r, _ in managers_rows],
                "person_id": [p for _, p in managers_rows],
            },
        )

    # --- catalogue --------------------------------------------------------------------------

    def catalogue(self) -> None:
        self.insert(
            Product,
            {
                "id": list(range(1, len(PRODUCTS) + 1)),
                "name": [p[0] for p in PRODUCTS],
                "product_line": [p[1] for p in PRODUCTS],
                "list_price": [p[2] for p in PRODUCTS],
                "active": [True] * len(PRODUCTS),
            },
        )
        self.insert(
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

    # --- customers --------------------------------------------------------------------------

    def customers(self) -> None:
        n, rng, reps = self.scale.customers, self.rng, len(self.rep_ids)
        owner = np.concatenate(
            [
                np.arange(min(n, reps)),
                rng.choice(reps, size=max(0, n - reps), p=self.rep_skill / self.rep_skill.sum()),
            ]
        )
        region = self.rep_region[owner]
        names, keys = [], []
        seen: set[tuple[int, str]] = set()
        parts = (
            rng.integers(0, len(NAME_A), n),
            rng.integers(0, len(NAME_B), n),
            rng.integers(0, len(NAME_C), n),
            rng.integers(0, len(LEGAL), n),
        )
        for i in range(n):
            base = f"{NAME_A[parts[0][i]]}{NAME_B[parts[1][i]]} {NAME_C[parts[2][i]]}"
            name, suffix = base, 1
            while (int(region[i]), normalize_name(name)) in seen:
                suffix += 1
                name = f"{base} {suffix}"
            legal = LEGAL[parts[3][i]]
            full = f"{name} {legal}".strip()
            seen.add((int(region[i]), normalize_name(name)))
            names.append(full)
            keys.append(normalize_name(full))
        segment = rng.choice(len(SEGMENTS), size=n, p=[0.2, 0.45, 0.35])
        seg_factor = np.array([s[1] for s in SEGMENTS])[segment]
        potential = np.round(rng.lognormal(11.5, 0.6, n) * seg_factor, -3).astype(np.int64)
        created = _day(self.window_start) - rng.integers(0, 1500, n)
        self.customer_owner, self.customer_region = owner, region
        self.customer_seg_factor = seg_factor
        self.customer_cols = {
            "id": np.arange(1, n + 1),
            "external_id": [f"C{i:07d}" for i in range(1, n + 1)],
            "name": names,
            "normalized_name": keys,
            "industry": _pick(rng, INDUSTRIES, n),
            "segment": np.array([s[0] for s in SEGMENTS], dtype=object)[segment],
            "region_id": region,
            "owner_id": self.rep_ids[owner],
            "annual_potential": potential,
            "created_on": _iso(created),
        }

    # --- deals ------------------------------------------------------------------------------

    def deals(self) -> None:
        rng, n, reps = self.rng, self.scale.deals, len(self.rep_ids)
        today = _day(self.today)
        start = _day(self.window_start) - 90
        active_from = np.maximum(self.rep_hire, start)
        weight = self.rep_skill * np.maximum(today - active_from, 1)
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
        order = np.argsort(self.customer_owner, kind="stable")
        counts = np.bincount(self.customer_owner, minlength=reps)
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        customer = order[offsets[rep] + (rng.random(n) * counts[rep]).astype(np.int64)]

        product = rng.choice(len(PRODUCTS), size=n, p=[0.22, 0.1, 0.18, 0.1, 0.15, 0.13, 0.12])
        price = np.array([p[2] for p in PRODUCTS])[product]
        quantity = np.clip(rng.lognormal(0, 0.5, n), 0.3, 6)
        amount = (
            price
            * quantity
            * self.customer_seg_factor[customer]
            * (0.6 + 0.4 * self.rep_skill[rep])
        )
        amount = np.maximum(np.round(amount, -1), 100).astype(np.int64)

        # Fate: how far each deal gets. Better reps convert better at every stage.
        skill = self.rep_skill[rep][:, None]
        chance = np.clip(ADVANCE[None, :] * skill**0.35, 0.05, 0.97)
        passed = np.cumprod(rng.random((n, OPEN_STAGES)) < chance, axis=1)
        reached = passed.sum(axis=1)  # 0..6; 6 means won

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
        next_steps = np.array(
            [
                "Send proposal",
                "Book demo",
                "Call decision maker",
                "Technical workshop",
                "Negotiate terms",
                "Get signature",
            ],
            dtype=object,
        )

        # Lead to cash for won deals: most signed, many invoiced, older ones paid.
        cash = np.full(n, None, dtype=object)
        age = today - closed_on
        cash[won] = "contract_signed"
        cash[won & (age > 20)] = "invoiced"
        cash[won & (age > 60)] = "paid"
        signed = won
        invoiced = np.isin(cash, ["invoiced", "paid"])
        paid = cash == "paid"

        ids = np.arange(1, n + 1)
        owner_ids = self.rep_ids[rep]
        self.deal = {
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
            "expected": expected,
        }
        self.insert(
            Customer, {**self.customer_cols, **self._customer_status(customer, won, closed_on)}
        )
        self.insert(
            Deal,
            {
                "id": ids,
                "external_id": [f"D{i:08d}" for i in ids],
                "name": [
                    f"{PRODUCTS[p][0]} for {self.customer_cols['name'][c]}"
                    for p, c in zip(product.tolist(), customer.tolist())
                ],
                "customer_id": customer + 1,
                "owner_id": owner_ids,
                "region_id": self.rep_region[rep],
                "product_id": product + 1,
                "amount": amount,
                "stage_id": stage + 1,
                "status": status,
                "forecast_category": forecast,
                "created_on": _iso(created),
                "expected_close": _iso(expected),
                "closed_on": _iso_or_none(closed_on, closed),
                "lost_reason": np.where(lost, _pick(rng, LOST_REASONS, n), None),
                "next_step": np.where(is_open, next_steps[np.minimum(stage, 5)], None),
                "stage_entered_on": _iso(stage_entered),
                "close_date_changes": slips,
                "checklist_done": [
                    json.dumps(STAGES[s][3] if s < OPEN_STAGES else []) if o and r < 0.85 else "[]"
                    for s, o, r in zip(stage.tolist(), is_open.tolist(), rng.random(n).tolist())
                ],
                "cash_status": cash,
                "contract_signed_on": _iso_or_none(closed_on + 3, signed),
                "contract_amount": np.where(signed, amount, None),
                "invoiced_on": _iso_or_none(closed_on + 20, invoiced),
                "invoiced_amount": np.where(invoiced, amount, None),
                "paid_on": _iso_or_none(closed_on + 55, paid),
                "paid_amount": np.where(paid, amount, None),
                "version": np.ones(n, dtype=np.int64),
            },
        )
        self._stage_history(ids, owner_ids)

    def _customer_status(self, customer, won, closed_on) -> dict:
        n = self.scale.customers
        last_win = np.full(n, -1, dtype=np.int64)
        np.maximum.at(last_win, customer[won], closed_on[won])
        has_deal = np.bincount(customer, minlength=n) > 0
        recent = last_win >= _day(self.today) - 540
        status = np.where(recent, "active", np.where(last_win >= 0, "dormant", "prospect"))
        status[~has_deal] = "prospect"
        return {"status": status.astype(object)}

    def _stage_history(self, ids: np.ndarray, owner_ids: np.ndarray) -> None:
        d, rng = self.deal, self.rng
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
        self.insert(
            DealStageHistory,
            {
                "deal_id": ids[deal_idx],
                "from_stage_id": np.where(from_stage < 0, None, from_stage + 1),
                "to_stage_id": to_stage + 1,
                "changed_by_id": owner_ids[deal_idx],
                "changed_at": _timestamps(when, rng, step=k),
                "amount": amount,
            },
        )

    # --- teams, activities, reviews ---------------------------------------------------------

    def deal_teams(self) -> None:
        d, rng = self.deal, self.rng
        current_year = d["closed_on"] >= _day(date(self.fy, 1, 1))
        relevant = np.flatnonzero(d["open"] | (d["won"] & current_year))
        team_rows: dict[str, list] = {"deal_id": [], "person_id": [], "role": []}
        rep_by_team: dict[int, np.ndarray] = {}
        for t in range(len(self.team_ids)):
            rep_by_team[t] = np.flatnonzero(self.rep_team == t)
        stage = d["stage"][relevant]
        reps = d["rep"][relevant]
        coin = rng.random((len(relevant), 6))
        for i, (deal_index, stage_index, rep) in enumerate(
            zip(relevant.tolist(), stage.tolist(), reps.tolist())
        ):
            reached = OPEN_STAGES if stage_index >= OPEN_STAGES else stage_index
            team = int(self.rep_team[rep])
            team_region = self.team_ids[team]
            members = []
            if reached >= 2 and coin[i, 0] < 0.9:
                peers = rep_by_team[team]
                peer = int(peers[(deal_index + 1) % len(peers)])
                if peer != rep:
                    members.append((int(self.rep_ids[peer]), "pre-sales engineer"))
            if reached >= 3 and coin[i, 1] < 0.9:
                peers = rep_by_team[(team + 1) % len(self.team_ids)]
                members.append(
                    (int(self.rep_ids[peers[deal_index % len(peers)]]), "solution consultant")
                )
            if reached >= 4 and coin[i, 2] < 0.88:
                members.append((self.team_manager[team_region], "executive sponsor"))
            if reached >= 5 and coin[i, 3] < 0.9:
                members.append((self.top_manager[self.team_top[team]], "finance"))
            if reached >= 5 and coin[i, 4] < 0.9:
                members.append((self.director_id, "legal"))
            if reached >= 6:
                members.append((self.director_id, "executive"))
            for person_id, role in members:
                team_rows["deal_id"].append(deal_index + 1)
                team_rows["person_id"].append(person_id)
                team_rows["role"].append(role)
        self.insert(DealTeamMember, team_rows)

    def activities(self) -> None:
        d, rng = self.deal, self.rng
        n = len(d["rep"])
        per_deal = rng.poisson(self.scale.activities_per_deal, n)
        idx = np.repeat(np.arange(n), per_deal)
        end = np.where(d["open"], _day(self.today), d["closed_on"])[idx]
        start = d["created"][idx]
        when = start + (rng.random(len(idx)) * np.maximum(end - start, 0)).astype(np.int64)
        # Stalled deals go quiet: no activity in their last weeks.
        quiet = d["open"][idx] & (d["stage_entered"][idx] < _day(self.today) - 60)
        when = np.where(quiet, np.minimum(when, d["stage_entered"][idx]), when)
        kinds = _pick(
            rng,
            ("visit", "call", "email", "meeting", "demo"),
            len(idx),
            p=[0.25, 0.35, 0.25, 0.1, 0.05],
        )
        customer = d["customer"][idx]
        self.insert(
            Activity,
            {
                "type": kinds,
                "occurred_on": _iso(when),
                "person_id": self.rep_ids[d["rep"][idx]],
                "customer_id": customer + 1,
                "deal_id": idx + 1,
                "outcome": _pick(rng, OUTCOMES, len(idx)),
                "notes": np.where(
                    rng.random(len(idx)) < 0.3, "Discussed next steps and timeline.", None
                ),
                "created_at": _timestamps(when, rng),
            },
        )
        last = np.full(self.scale.customers, -1, dtype=np.int64)
        np.maximum.at(last, customer, when)
        self.customer_last_activity = last

    def pipeline_reviews(self) -> None:
        d, rng = self.deal, self.rng
        today = _day(self.today)
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
        for rep_index in range(len(self.rep_ids)):
            open_by_rep[rep_index] = open_idx[d["rep"][open_idx] == rep_index]
        reviews_per_rep = 6 if len(self.rep_ids) <= 200 else 2
        for rep_index, rep_id in enumerate(self.rep_ids.tolist()):
            manager = self.team_manager[int(self.rep_region[rep_index])]
            deals = open_by_rep[rep_index]
            for r in range(reviews_per_rep):
                held = today - 14 * (reviews_per_rep - r) + int(rng.integers(0, 4))
                if held < self.rep_hire[rep_index]:
                    continue
                review_id = len(reviews["id"]) + 1
                reviews["id"].append(review_id)
                reviews["rep_id"].append(rep_id)
                reviews["manager_id"].append(manager)
                reviews["held_on"].append(_iso(np.array([held]))[0])
                reviews["notes"].append("Walked through open deals, risks and next steps.")
                chosen = deals[:: max(1, len(deals) // 3)][:3] if len(deals) else []
                for deal_index in list(chosen):
                    discussed["review_id"].append(review_id)
                    discussed["deal_id"].append(int(deal_index) + 1)
                if len(chosen):
                    due = held + 14
                    commitments["review_id"].append(review_id)
                    commitments["deal_id"].append(int(chosen[0]) + 1)
                    commitments["description"].append("Confirm decision date with the buyer")
                    commitments["due_on"].append(_iso(np.array([due]))[0])
                    commitments["done_on"].append(
                        _iso(np.array([due - 2]))[0] if due < today else None
                    )
        self.insert(PipelineReview, reviews)
        self.insert(ReviewDeal, discussed)
        self.insert(ReviewCommitment, commitments)

    def customer_activity_dates(self) -> None:
        """Store each customer's last contact date (used by the neglected-customer filter)."""
        last = self.customer_last_activity
        has = last >= 0
        ids = (np.flatnonzero(has) + 1).tolist()
        dates = _iso(last[has]).tolist()
        table = Customer.__table__
        stmt = (
            table.update().where(table.c.id == _bind("cid")).values(last_activity_on=_bind("day"))
        )
        for start in range(0, len(ids), 50_000):
            self.conn.execute(
                stmt,
                [
                    {"cid": i, "day": date.fromisoformat(s)}
                    for i, s in zip(ids[start : start + 50_000], dates[start : start + 50_000])
                ],
            )

    # --- targets ------------------------------------------------------------------------------

    def target_plans(self) -> None:
        """One plan per fiscal year: company target from last year's won revenue and a growth
        goal, split to teams by last year's share, to reps by skill with a new-hire ramp, and
        to months by last year's seasonality. Every region row sums its reps exactly."""
        d = self.deal
        won = d["won"]
        won_month = d["closed_on"][won].astype("datetime64[D]").astype("datetime64[M]").astype(int)
        won_year = won_month // 12 + 1970
        won_amount = d["amount"][won]
        won_team = self.rep_team[d["rep"][won]]
        plans: dict[str, list] = {
            k: []
            for k in (
                "id",
                "fiscal_year",
                "version",
                "status",
                "method",
                "seasonality",
                "company_target",
                "padding_pct",
                "notes",
                "created_by_id",
                "approved_by_id",
                "approved_at",
                "lock_version",
            )
        }
        rows: dict[str, list] = {
            "plan_id": [],
            "region_id": [],
            "person_id": [],
            "month": [],
            "amount": [],
            "locked": [],
        }
        rng = self.rng
        for plan_id, year in enumerate(range(self.fy - 2, self.fy + 1), start=1):
            last_year = won_year == year - 1
            this_year = won_year == year
            if year < self.fy:
                total = won_amount[this_year].sum() * rng.uniform(1.0, 1.08)
            else:
                total = won_amount[won_year == year - 1].sum() * 1.12
            total = Decimal(int(round(total, -4)))
            if last_year.any():
                by_month = np.bincount(
                    won_month[last_year] % 12, weights=won_amount[last_year], minlength=12
                )
                team_share = np.bincount(
                    won_team[last_year], weights=won_amount[last_year], minlength=len(self.team_ids)
                )
            else:
                by_month = np.ones(12)
                team_share = np.bincount(
                    self.rep_team, weights=self.rep_skill, minlength=len(self.team_ids)
                )
            season = [Decimal(str(round(v, 2))) for v in by_month / by_month.sum() * 100]
            months = [add_months(date(year, 1, 1), m) for m in range(12)]
            team_totals = allocate(
                total,
                {t: Decimal(str(round(float(w), 2))) for t, w in enumerate(team_share)},
                unit=Decimal(100),
            )
            region_month: dict[tuple[int, int], Decimal] = {}
            for team, team_total in team_totals.items():
                members = np.flatnonzero(self.rep_team == team)
                ramp = {int(r): ramp_factors(_date(self.rep_hire[r]), months) for r in members}
                weights = {
                    r: Decimal(str(round(self.rep_skill[r] ** 0.5, 3)))
                    * sum(f * s for f, s in zip(ramp[r], season))
                    for r in ramp
                }
                if not any(weights.values()):
                    continue
                rep_totals = allocate(team_total, weights, unit=Decimal(100))
                for r, rep_total in rep_totals.items():
                    if not rep_total:
                        continue
                    monthly = allocate(
                        rep_total, {m: ramp[r][m] * season[m] for m in range(12)}, unit=Decimal(10)
                    )
                    for m, amount in monthly.items():
                        rows["plan_id"].append(plan_id)
                        rows["region_id"].append(int(self.rep_region[r]))
                        rows["person_id"].append(int(self.rep_ids[r]))
                        rows["month"].append(months[m].isoformat())
                        rows["amount"].append(str(amount))
                        rows["locked"].append(False)
                        for region in _ancestors(int(self.rep_region[r]), self.region_parent):
                            key = (region, m)
                            region_month[key] = region_month.get(key, Decimal(0)) + amount
            for (region, m), amount in sorted(region_month.items()):
                rows["plan_id"].append(plan_id)
                rows["region_id"].append(region)
                rows["person_id"].append(None)
                rows["month"].append(months[m].isoformat())
                rows["amount"].append(str(amount))
                rows["locked"].append(False)
            approved = datetime(year - 1, 12, 15, 10, 0).isoformat(sep=" ")
            plans["id"].append(plan_id)
            plans["fiscal_year"].append(year)
            plans["version"].append(1)
            plans["status"].append("locked" if year < self.fy else "approved")
            plans["method"].append("history")
            plans["seasonality"].append("history")
            plans["company_target"].append(str(sum(team_totals.values())))
            plans["padding_pct"].append("0")
            plans["notes"].append(f"FY{year} plan: last year's revenue plus a growth goal.")
            plans["created_by_id"].append(self.director_id)
            plans["approved_by_id"].append(self.director_id)
            plans["approved_at"].append(approved)
            plans["lock_version"].append(1)
        self.insert(TargetPlan, plans)
        self.insert(Target, rows)
        metrics = {
            "attainment": 40,
            "activities": 15,
            "win_rate": 15,
            "pipeline_generated": 10,
            "cycle_time": 10,
            "forecast_accuracy": 10,
        }
        years = [y for y in range(self.fy - 2, self.fy + 1) for _ in metrics]
        self.insert(
            ScorecardWeight,
            {
                "fiscal_year": years,
                "metric": list(metrics) * 3,
                "weight": list(metrics.values()) * 3,
            },
        )

    def settings_and_audit(self, scale_name: str, seed: int) -> None:
        settings = {
            "company_name": "Northwind Instruments",
            "fiscal_start_month": 1,
            "demo_data": True,
            "demo_accounts": DEMO_ACCOUNTS,
        }
        self.insert(
            AppSetting, {"key": list(settings), "value": [json.dumps(v) for v in settings.values()]}
        )
        self.insert(
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
                            "seed": seed,
                            "today": str(self.today),
                            **{k: v for k, v in self.counts.items()},
                        }
                    )
                ],
            },
        )


def _date(day: int) -> date:
    return date(1970, 1, 1) + timedelta(days=int(day))


def _bind(name: str):
    from sqlalchemy import bindparam

    return bindparam(name)


def _ancestors(region_id: int, parents: list[int | None]) -> list[int]:
    out, node = [], region_id
    while node is not None:
        out.append(node)
        node = parents[node - 1]
    return out


def seed(
    engine: Engine,
    *,
    scale: str = "demo",
    seed: int = 42,
    today: date | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Fill an empty database with demo data in one transaction; returns rows per table."""
    if scale not in SCALES:
        raise ValueError(f"Unknown scale '{scale}': choose one of {', '.join(SCALES)}.")
    progress = progress or (lambda _step, _share: None)
    today = today or date.today()
    with engine.begin() as conn:
        seeder = _Seeder(conn, SCALES[scale], seed, today, progress)
        steps = [
            ("organisation", seeder.organisation),
            ("catalogue", seeder.catalogue),
            ("customers", seeder.customers),
            ("deals", seeder.deals),
            ("deal teams", seeder.deal_teams),
            ("activities", seeder.activities),
            ("customer contact dates", seeder.customer_activity_dates),
            ("pipeline reviews", seeder.pipeline_reviews),
            ("target plans", seeder.target_plans),
            ("settings", lambda: seeder.settings_and_audit(scale, seed)),
        ]
        for number, (name, step) in enumerate(steps):
            progress(name, number / len(steps))
            step()
        reset_id_sequences(conn, Base.metadata.sorted_tables)
        progress("done", 1.0)
        return dict(seeder.counts)
