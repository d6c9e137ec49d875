"""Demo money: deals in the currency of their region, weekly exchange rates, a few deals in a
currency without any rate (not priced), and split credit on some large deals.

- Each team sells in its region's currency (the scale says which; the others sell in the
  company currency, USD). A deal's amount is set in its own currency at the rate of the week it
  was created, rounded to a round figure.
- Every currency used has a rate for every week from before the first deal up to today (none
  later), a small random walk around a realistic level.
- A few deals of this quarter are in Indian rupees, which have no rate: they are not priced.
- About one in ten of the largest deals (the top decile by amount) is split between the owner
  and one or two colleagues, and so are the two largest won and the two largest open priced
  deals of this quarter.
Company amounts follow core.currency's rule exactly (a closed deal at the rate of its close
date, an open one at today's, half up to cents), computed here in whole cents with integers so
a million deals convert in a blink; shares come from core.currency.shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np

from core import currency
from core.demo.build import DemoBuild
from core.demo.columns import day_number, iso_days
from core.periods import quarter_of
from db.schema import DEFAULT_CURRENCY, CreditSplit, ExchangeRate

RATE_DIGITS = 8
"""The exchange_rate table keeps eight decimals."""

LEVELS: dict[str, tuple[float, float, int]] = {
    "EUR": (1.09, 0.008, 6),
    "GBP": (1.27, 0.009, 6),
    "JPY": (0.0067, 0.011, 8),
    "CNY": (0.138, 0.004, 6),
    "BRL": (0.18, 0.018, 6),
    "AUD": (0.66, 0.011, 6),
}
"""USD per unit, weekly volatility and decimals kept, per currency the demo sells in."""

ROUND_TO = {"JPY": 1_000, "INR": 1_000}
"""Deal amounts are round figures: to the thousand in yen and rupees, else to the ten."""

UNPRICED = ("INR", 0.012)
"""The currency without any rate, and roughly what it is worth (to size its deals)."""

SPLITS = (
    ("50", "50"),
    ("60", "40"),
    ("70", "30"),
    ("75", "25"),
    ("50", "25", "25"),
    ("40", "30", "30"),
    ("33.34", "33.33", "33.33"),
    ("60", "20", "20"),
)
"""How a split deal's credit is shared, the owner first."""


@dataclass
class Money:
    """Per deal: currency, amount in it (whole units), company amount in cents (-1: not
    priced) and whether its credit is split."""

    currency: np.ndarray
    amount: np.ndarray
    cents: np.ndarray
    shared: np.ndarray

    def company_amounts(self) -> list[str | None]:
        """The company amounts as exact decimal text (None where not priced)."""
        return [None if c < 0 else f"{c // 100}.{c % 100:02d}" for c in self.cents.tolist()]


def team_currencies(build: DemoBuild) -> np.ndarray:
    """The currency each rep sells in: the one of their team, else of its top region."""
    by_name = {build.words.region(name): code for name, code in build.scale.currencies}
    names = build.region_names
    out = []
    for team in range(len(build.team_ids)):
        team_name = names[build.team_ids[team] - 1]
        top_name = names[build.team_top[team] - 1]
        out.append(by_name.get(team_name, by_name.get(top_name, DEFAULT_CURRENCY)))
    return np.array(out, dtype=object)[build.rep_team]


def weekly_rates(build: DemoBuild, codes: list[str], first_day: int) -> dict[str, tuple]:
    """(days, rates in 1e-8 units) per currency: one rate a week, the last one today, the
    first one on or before `first_day` (so that a deal of that day has a rate)."""
    rng = build.money_rng
    today = day_number(build.today)
    weeks = -(-(today - first_day) // 7) + 1  # whole weeks back to first_day, rounded up
    days = today - 7 * np.arange(weeks)[::-1]
    out = {}
    for code in codes:
        level, volatility, digits = LEVELS[code]
        drift = np.empty(weeks)
        drift[0] = rng.normal(0, volatility * 3)
        steps = rng.normal(0, volatility, weeks)
        for week in range(1, weeks):  # a walk pulled gently back to its level
            drift[week] = drift[week - 1] * 0.97 + steps[week]
        rounded = np.round(level * np.exp(drift) * 10**digits).astype(np.int64)
        out[code] = (days, rounded * 10 ** (RATE_DIGITS - digits))
    return out


def price_deals(
    build: DemoBuild,
    rep: np.ndarray,
    value: np.ndarray,
    created: np.ndarray,
    pricing_day: np.ndarray,
    candidates: np.ndarray,
    is_open: np.ndarray,
) -> Money:
    """Currencies, amounts and company amounts of the deals, and which are split. `value` is
    each deal's size in company money, `candidates` the deals of this quarter (a few of them
    are not priced, a few split)."""
    rng, n = build.money_rng, len(value)
    code = team_currencies(build)[rep]
    amount = value.astype(np.int64).copy()
    cents = amount * 100
    used = [c for c in LEVELS if (code == c).any()]
    rates = weekly_rates(build, used, int(created.min()))
    stored: dict[str, list] = {"currency": [], "valid_from": [], "rate": []}
    for c, (days, units) in rates.items():
        mine = np.flatnonzero(code == c)
        at_start = units[np.searchsorted(days, created[mine], side="right") - 1]
        step = ROUND_TO.get(c, 10)
        local = np.round(value[mine] * 10**RATE_DIGITS / at_start / step).astype(np.int64) * step
        amount[mine] = np.maximum(local, step)
        at_pricing = units[np.searchsorted(days, pricing_day[mine], side="right") - 1]
        product = amount[mine] * at_pricing  # company units * 1e8
        assert product.max(initial=0) < 2**62, "amounts too large to convert in integers"
        cents[mine] = (product + 500_000) // 1_000_000  # half up to cents
        stored["currency"] += [c] * len(days)
        stored["valid_from"] += iso_days(days).tolist()
        stored["rate"] += [str(Decimal(int(u)).scaleb(-RATE_DIGITS)) for u in units]
    build.insert(ExchangeRate, stored)

    unpriced_code, worth = UNPRICED
    pool = candidates if len(candidates) >= build.scale.not_priced else np.arange(n)
    unpriced = rng.choice(pool, size=build.scale.not_priced, replace=False)
    code[unpriced] = unpriced_code
    step = ROUND_TO[unpriced_code]
    amount[unpriced] = np.maximum(np.round(value[unpriced] / worth / step), 1).astype(int) * step
    cents[unpriced] = -1

    large = (value >= np.quantile(value, 0.9)) & (cents >= 0)
    shared = large & (rng.random(n) < 0.10)
    # and the two largest priced won and open deals of this quarter, whatever their size, so
    # its figures show split credit from its first days on
    mine = candidates[cents[candidates] >= 0]
    mine = mine[np.argsort(-value[mine], kind="stable")]
    shared[mine[is_open[mine]][:2]] = True
    shared[mine[~is_open[mine]][:2]] = True
    return Money(currency=code, amount=amount, cents=cents, shared=shared)


def this_quarter(build: DemoBuild, won, closed_on, is_open, expected) -> np.ndarray:
    """The deals that count in this quarter: won in it, or open and expected to close in it
    from today on."""
    quarter = quarter_of(build.today)
    start, end, today = (day_number(d) for d in (quarter.start, quarter.end, build.today))
    counted = won & (closed_on >= start) & (closed_on <= end)
    counted |= is_open & (expected >= today) & (expected <= end)
    return np.flatnonzero(counted)


def add_credit_splits(build: DemoBuild, money: Money, rep: np.ndarray, created: np.ndarray):
    """The split rows of the split deals: the owner first, then one or two colleagues (one of
    the owner's team or another, active when the deal was created), each with the region
    they sell in and their share of the company amount."""
    rng = build.money_rng
    rows: dict[str, list] = {k: [] for k in ("deal_id", "person_id", "region_id", "percent")}
    rows["amount"] = []
    hired = build.rep_hire
    for index in np.flatnonzero(money.shared).tolist():
        owner = int(rep[index])
        pattern = SPLITS[int(rng.integers(len(SPLITS)))]
        eligible = np.flatnonzero(hired <= created[index])
        eligible = eligible[eligible != owner]
        same_team = eligible[build.rep_team[eligible] == build.rep_team[owner]]
        pool = same_team if len(same_team) and rng.random() < 0.5 else eligible
        if len(eligible) < len(pattern) - 1 or not len(pool):
            money.shared[index] = False
            continue
        first = int(rng.choice(pool))
        others = eligible[eligible != first]
        people = [owner, first, *rng.choice(others, size=len(pattern) - 2, replace=False)]
        total = Decimal(int(money.cents[index])).scaleb(-2)
        percents = {i: Decimal(p) for i, p in enumerate(pattern)}
        parts = currency.shares(total, percents)
        for i, person in enumerate(people):
            rows["deal_id"].append(index + 1)
            rows["person_id"].append(int(build.rep_ids[person]))
            rows["region_id"].append(int(build.rep_region[person]))
            rows["percent"].append(pattern[i])
            rows["amount"].append(str(parts[i]))
    return rows


def write_credit_splits(build: DemoBuild, rows: dict[str, list]) -> None:
    """Insert the split rows (after their deals)."""
    build.insert(CreditSplit, rows)


def pricing_days(closed: np.ndarray, closed_on: np.ndarray, today: date) -> np.ndarray:
    """The day whose rate converts each deal: its close date once closed, else today."""
    return np.where(closed, closed_on, day_number(today))
