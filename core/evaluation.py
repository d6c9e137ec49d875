"""The scoring and evaluation arithmetic, pure: plain data in, plain data out, no database.

Scorecard (core.performance.scorecard measures the raw figures, this module scores them):
- Six metrics, each normalised to 0-100 against a benchmark (see `measure`): attainment,
  activities (points per activity: visit 3, meeting 2, demo 2, call 1, email 0.5), win rate,
  pipeline generated (as a multiple of target), cycle time, forecast accuracy.
- Targets on other measures (core.progress.measures) replace fixed benchmarks where they exist:
  with a visits target the activities part scores visits / visits target (100 x, capped at
  100) instead of activity points; with a units or deals-created target the attainment part is
  the mean of the scores of every measure that has a target (revenue included when it has
  one), each scored as revenue is (100 x attainment / `attainment_full`, capped at 100).
- Weights are percent per metric and sum to 100. A metric without data is left out and the
  other weights are scaled up to sum to 100 ("effective weight"); each part contributes
  normalised x effective weight / 100, rounded to cents of a point, and the score is the sum
  of the contributions, so the explanation adds up to the score exactly.

Plan vs actual (core.performance.plan_vs_actual reads the figures, this module explains them):
- variance = won - target = N x w x s - N_plan x w0 x s0 splits into deal volume
  (N - N_plan) x w0 x s0, win rate N x (w - w0) x s0 and deal size N x w x (s - s0), which add
  up exactly; the main driver is the effect that pushed most in the direction of the variance.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.errors import ValidationFailed
from core.i18n import N_, _

CENT = Decimal("0.01")

METRICS: dict[str, str] = {
    "attainment": N_("Attainment"),
    "activities": N_("Activities"),
    "win_rate": N_("Win rate"),
    "pipeline_generated": N_("Pipeline generated"),
    "cycle_time": N_("Cycle time"),
    "forecast_accuracy": N_("Forecast accuracy"),
}
"""The scorecard's metrics in display order."""

DEFAULT_WEIGHTS: dict[str, Decimal] = {
    "attainment": Decimal(40),
    "activities": Decimal(15),
    "win_rate": Decimal(15),
    "pipeline_generated": Decimal(10),
    "cycle_time": Decimal(10),
    "forecast_accuracy": Decimal(10),
}

ACTIVITY_POINTS = {"visit": 3.0, "meeting": 2.0, "demo": 2.0, "call": 1.0, "email": 0.5}
HUNDRED = Decimal(100)
POINT = Decimal("0.01")


class Benchmarks(BaseModel):
    """The normalisation parameters (app setting `scorecard_benchmarks`, admins may change)."""

    model_config = ConfigDict(extra="ignore")

    attainment_full: float = Field(1.0, gt=0, le=5, description=N_("Attainment that scores 100"))
    activity_points_per_month: float = Field(
        40.0, gt=0, le=10_000, description=N_("Activity points per rep and month that score 100")
    )
    win_rate_full: float = Field(0.30, gt=0, le=1, description=N_("Win rate that scores 100"))
    pipeline_multiple: float = Field(
        5.0, gt=0, le=100, description=N_("New pipeline as a multiple of target that scores 100")
    )
    cycle_days_good: float = Field(60.0, ge=0, le=1000, description=N_("Cycle days that score 100"))
    cycle_days_poor: float = Field(180.0, gt=0, le=2000, description=N_("Cycle days that score 0"))
    commit_probability: float = Field(
        0.60, gt=0, le=1, description=N_("Stage probability from which a deal counts as committed")
    )

    @model_validator(mode="after")
    def _poor_after_good(self) -> Benchmarks:
        if self.cycle_days_poor <= self.cycle_days_good:
            raise ValueError(_("cycle_days_poor must be more than cycle_days_good"))
        return self


def validate_weights(weights: dict[str, object]) -> dict[str, Decimal]:
    """Every metric once, each 0-100, summing to exactly 100; otherwise a clear refusal."""
    unknown = sorted(set(weights) - set(METRICS))
    if unknown:
        raise ValidationFailed(
            _("Unknown scorecard metric: {unknown}.").format(unknown=", ".join(unknown))
        )
    out: dict[str, Decimal] = {}
    for metric, label in METRICS.items():
        try:
            value = Decimal(str(weights.get(metric, 0)))
        except ArithmeticError:
            raise ValidationFailed(
                _("The weight of {label} is not a number.").format(label=_(label))
            ) from None
        if not value.is_finite() or value < 0 or value > 100:
            raise ValidationFailed(
                _("The weight of {label} must be between 0 and 100.").format(label=label)
            )
        out[metric] = value.quantize(POINT)
    total = sum(out.values(), Decimal(0))
    if total != HUNDRED:
        raise ValidationFailed(
            _("The weights must sum to 100; they sum to {normalize:f}.").format(
                normalize=total.normalize()
            )
        )
    return out


@dataclass
class CountFigure:
    """A count measure's target and what was achieved (units, visits, deals created)."""

    target: Decimal
    achieved: Decimal

    def plus(self, other: CountFigure) -> CountFigure:
        return CountFigure(self.target + other.target, self.achieved + other.achieved)


COUNT_TEXTS = {
    "units": N_("{achieved:,} units of a target of {target:,} = {ratio:.1%}"),
    "deals_created": N_("{achieved:,} deals created of a target of {target:,} = {ratio:.1%}"),
    "visits": N_("{achieved:,} visits of a target of {target:,} = {ratio:.1%}"),
}
"""How a count target reads in a score's explanation ("47 visits of a target of 60 = 78.3%")."""
ATTAINMENT_COUNTS = ("units", "deals_created")
"""Count measures whose targets join revenue in the attainment part."""


@dataclass
class RawFigures:
    """What a rep or region did in a period; every field adds up across reps and regions."""

    target: Decimal | None = None
    won_amount: Decimal = Decimal(0)
    won_deals: int = 0
    lost_deals: int = 0
    cycle_days_total: float = 0.0
    pipeline_created: Decimal = Decimal(0)
    visits: int = 0
    calls: int = 0
    meetings: int = 0
    demos: int = 0
    emails: int = 0
    committed_at_start: Decimal = Decimal(0)
    committed_won: Decimal = Decimal(0)
    months: int = 1
    reps: int = 1
    counts: dict[str, CountFigure] = field(default_factory=dict)
    """Targets of count measures with an active plan (units, visits, deals_created)."""

    def plus(self, other: RawFigures) -> RawFigures:
        """The figures of both together (targets: None only if both have none)."""
        out = RawFigures(months=self.months, reps=self.reps + other.reps)
        for item in fields(self):
            if item.name in ("months", "reps"):
                continue
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            value: object
            if item.name == "counts":
                merged = dict(mine)
                for name, count in theirs.items():
                    merged[name] = merged[name].plus(count) if name in merged else count
                value = merged
            elif item.name == "target":
                value = None if mine is None and theirs is None else (mine or 0) + (theirs or 0)
            else:
                value = mine + theirs
            setattr(out, item.name, value)
        return out

    @property
    def activity_points(self) -> float:
        return (
            self.visits * ACTIVITY_POINTS["visit"]
            + self.meetings * ACTIVITY_POINTS["meeting"]
            + self.demos * ACTIVITY_POINTS["demo"]
            + self.calls * ACTIVITY_POINTS["call"]
            + self.emails * ACTIVITY_POINTS["email"]
        )


# --- normalisation and explanation (pure) --------------------------------------------------------


class ScorePart(BaseModel):
    """One metric's share of a score."""

    metric: str
    label: str
    raw: float | None
    raw_text: str
    normalised: Decimal | None
    weight: Decimal
    effective_weight: Decimal
    contribution: Decimal


def clamp(value: float) -> Decimal:
    bounded = min(100.0, max(0.0, value))
    return Decimal(str(bounded)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def money_text(value: Decimal | float) -> str:
    return f"{float(value):,.0f}"


def normalised(
    metric: str, f: RawFigures, bench: Benchmarks
) -> tuple[float | None, Decimal | None]:
    """The raw value of one metric and its 0-100 score (None: no data); `measure` adds the
    sentence, the leaderboard reads only this."""
    if metric == "attainment":
        return _attainment_value(f, bench)
    if metric == "activities":
        ratio = _count_ratio(f, "visits")
        if ratio is not None:
            return ratio, clamp(100 * ratio)
        raw = f.activity_points
        norm = _activity_norm(f, bench)
        return raw, clamp(100 * raw / norm if norm else 0)
    if metric == "win_rate":
        closed = f.won_deals + f.lost_deals
        if not closed:
            return None, None
        raw = f.won_deals / closed
        return raw, clamp(100 * raw / bench.win_rate_full)
    if metric == "pipeline_generated":
        if not f.target:
            return None, None
        raw = float(f.pipeline_created / f.target)
        return raw, clamp(100 * raw / bench.pipeline_multiple)
    if metric == "cycle_time":
        if not f.won_deals:
            return None, None
        raw = f.cycle_days_total / f.won_deals
        span = bench.cycle_days_poor - bench.cycle_days_good
        score = 100 * (bench.cycle_days_poor - raw) / span if span > 0 else 0
        return raw, clamp(score)
    if metric == "forecast_accuracy":
        if not f.committed_at_start:
            return None, None
        gap = abs(f.committed_won - f.committed_at_start)
        raw = 1 - float(gap / f.committed_at_start)
        return raw, clamp(100 * raw)
    raise ValueError(_("unknown metric {metric}").format(metric=metric))


def _activity_norm(f: RawFigures, bench: Benchmarks) -> float:
    return bench.activity_points_per_month * f.months * max(f.reps, 1)


def measure(
    metric: str, f: RawFigures, bench: Benchmarks
) -> tuple[float | None, str, Decimal | None]:
    """The raw value of one metric, a sentence showing the figures, and its 0-100 score."""
    raw, score = normalised(metric, f, bench)
    return raw, _sentence(metric, f, bench, raw, score), score


def _sentence(
    metric: str, f: RawFigures, bench: Benchmarks, raw: float | None, score: Decimal | None
) -> str:
    """The figures behind one metric's score, in words."""
    if metric == "attainment":
        return _attainment_text(f, bench, score)
    if metric == "activities":
        if _count_ratio(f, "visits") is not None:
            return _count_text(f, "visits")
        return _(
            "{visits} visits, {calls} calls, {emails} emails, {value} "
            "meetings/demos = {raw:g} points of {norm:g}"
        ).format(
            visits=f.visits,
            calls=f.calls,
            emails=f.emails,
            value=f.meetings + f.demos,
            raw=raw,
            norm=_activity_norm(f, bench),
        )
    if metric == "win_rate":
        if raw is None:
            return _("no deal closed")
        return _("{won_deals} won of {closed} closed = {raw:.1%}").format(
            won_deals=f.won_deals, closed=f.won_deals + f.lost_deals, raw=raw
        )
    if metric == "pipeline_generated":
        if raw is None:
            return _("created {pipeline_created}, no target").format(
                pipeline_created=money_text(f.pipeline_created)
            )
        return _("created {pipeline_created} = {raw:.2f} x target").format(
            pipeline_created=money_text(f.pipeline_created), raw=raw
        )
    if metric == "cycle_time":
        if raw is None:
            return _("no deal won")
        return _("{raw:.0f} days on average over {won_deals} won").format(
            raw=raw, won_deals=f.won_deals
        )
    if raw is None:
        return _("nothing committed at the start")
    return _(
        "committed {committed_at_start} at the start, won {committed_won} of it: accuracy {raw:.1%}"
    ).format(
        committed_at_start=money_text(f.committed_at_start),
        committed_won=money_text(f.committed_won),
        raw=raw,
    )


def _count_ratio(f: RawFigures, name: str) -> float | None:
    """Achieved / target of a count measure; None without a target above 0."""
    count = f.counts.get(name)
    if count is None or not count.target:
        return None
    return float(count.achieved / count.target)


def _count_text(f: RawFigures, name: str) -> str:
    count = f.counts[name]
    return _(COUNT_TEXTS[name]).format(
        achieved=int(count.achieved), target=int(count.target), ratio=_count_ratio(f, name)
    )


def _attainment_ratios(f: RawFigures) -> tuple[float | None, list[float]]:
    """Revenue attainment (None without a target) and the ratios of the count measures with
    a target that join it."""
    revenue = float(f.won_amount / f.target) if f.target else None
    counts = [r for name in ATTAINMENT_COUNTS if (r := _count_ratio(f, name)) is not None]
    return revenue, counts


def _attainment_value(f: RawFigures, bench: Benchmarks) -> tuple[float | None, Decimal | None]:
    """Revenue attainment; with units or deals-created targets, the mean of the scores of every
    measure that has a target (raw: the mean of their attainments)."""
    revenue, counts = _attainment_ratios(f)
    if revenue is None and not counts:
        return None, None
    if not counts:
        assert revenue is not None
        return revenue, clamp(100 * revenue / bench.attainment_full)
    ratios = ([revenue] if revenue is not None else []) + counts
    scores = [clamp(100 * raw / bench.attainment_full) for raw in ratios]
    mean = (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return sum(ratios) / len(ratios), mean


def _attainment_text(f: RawFigures, bench: Benchmarks, normalised_value: Decimal | None) -> str:
    revenue, counts = _attainment_ratios(f)
    if revenue is None and not counts:
        return _("won {won_amount}, no target").format(won_amount=money_text(f.won_amount))
    texts = []
    if revenue is not None:
        texts.append(
            _("won {won_amount} of {target} = {raw:.1%}").format(
                won_amount=money_text(f.won_amount), target=money_text(f.target or 0), raw=revenue
            )
        )
    if not counts:
        return texts[0]
    if not texts:
        texts = [
            _("won {won_amount}, no revenue target").format(won_amount=money_text(f.won_amount))
        ]
    texts += [
        _count_text(f, name) for name in ATTAINMENT_COUNTS if _count_ratio(f, name) is not None
    ]
    ratios = ([revenue] if revenue is not None else []) + counts
    listed = ", ".join(f"{clamp(100 * raw / bench.attainment_full):.1f}" for raw in ratios)
    summary = _("the mean of the {count} scores ({listed}) = {normalised:.1f}").format(
        count=len(ratios), listed=listed, normalised=normalised_value
    )
    return "; ".join([*texts, summary])


def _weighed(
    values: dict[str, Decimal | None], weights: dict[str, Decimal]
) -> tuple[Decimal | None, dict[str, tuple[Decimal, Decimal]]]:
    """The score and each metric's (effective weight, contribution): metrics without data are
    left out and the other weights scaled up to sum to 100; contributions are rounded half up
    to cents of a point and the score is their sum."""
    counted = sum(
        (weights.get(m, Decimal(0)) for m, n in values.items() if n is not None), Decimal(0)
    )
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for metric, value in values.items():
        if value is None or not counted:
            out[metric] = (Decimal(0), Decimal(0))
            continue
        effective = weights.get(metric, Decimal(0)) * HUNDRED / counted
        out[metric] = (effective, (value * effective / HUNDRED).quantize(POINT, ROUND_HALF_UP))
    if not counted:
        return None, out
    return sum((c for __, c in out.values()), Decimal(0)), out


def score(figures: RawFigures, weights: dict[str, Decimal], bench: Benchmarks) -> Decimal | None:
    """The score alone (no parts, no sentences): exactly `explain`'s score, for rankings."""
    values = {metric: normalised(metric, figures, bench)[1] for metric in METRICS}
    return _weighed(values, weights)[0]


def explain(
    figures: RawFigures, weights: dict[str, Decimal], bench: Benchmarks
) -> tuple[Decimal | None, list[ScorePart]]:
    """The score and its parts; contributions add up to the score exactly."""
    measured = {metric: measure(metric, figures, bench) for metric in METRICS}
    total, weighed = _weighed({m: n for m, (_raw, _text, n) in measured.items()}, weights)
    parts = [
        ScorePart(
            metric=metric,
            label=_(METRICS[metric]),
            raw=raw,
            raw_text=text,
            normalised=value,
            weight=weights.get(metric, Decimal(0)),
            effective_weight=weighed[metric][0].quantize(POINT, ROUND_HALF_UP),
            contribution=weighed[metric][1],
        )
        for metric, (raw, text, value) in measured.items()
    ]
    return total, parts


def trend_arrow(score: Decimal | None, previous: Decimal | None, *, tolerance=Decimal(1)) -> str:
    """Up or down when the score moved more than one point since the previous period."""
    if score is None or previous is None:
        return ""
    if score - previous > tolerance:
        return "▲"
    if previous - score > tolerance:
        return "▼"
    return "▬"


DRIVERS = {
    "volume": (N_("fewer deals"), N_("more deals")),
    "win_rate": (N_("lower win rate"), N_("higher win rate")),
    "deal_size": (N_("smaller deals"), N_("bigger deals")),
}


class Outcome(BaseModel):
    """Won amount and counts of closed deals."""

    won: Decimal = Decimal(0)
    won_deals: int = 0
    lost_deals: int = 0

    @property
    def closed(self) -> int:
        return self.won_deals + self.lost_deals

    @property
    def win_rate(self) -> Decimal | None:
        return Decimal(self.won_deals) / Decimal(self.closed) if self.closed else None

    @property
    def average_deal(self) -> Decimal | None:
        return self.won / Decimal(self.won_deals) if self.won_deals else None

    def __add__(self, other: Outcome) -> Outcome:
        return Outcome(
            won=self.won + other.won,
            won_deals=self.won_deals + other.won_deals,
            lost_deals=self.lost_deals + other.lost_deals,
        )


class Drivers(BaseModel):
    planned_closed_deals: Decimal
    volume: Decimal
    win_rate: Decimal
    deal_size: Decimal
    main_driver: str


def decompose(actual: Outcome, target: Decimal, baseline: Outcome) -> Drivers | None:
    """Split won - target into volume, win-rate and deal-size effects (they add up exactly
    before rounding; rounding moves any cent left over onto the deal-size effect)."""
    w0, s0 = baseline.win_rate, baseline.average_deal
    if not w0 or not s0:
        return None
    n = Decimal(actual.closed)
    w = actual.win_rate if actual.closed and actual.win_rate is not None else w0
    n_plan = target / (w0 * s0)
    volume = ((n - n_plan) * w0 * s0).quantize(CENT)
    win_rate = (n * (w - w0) * s0).quantize(CENT)
    deal_size = (actual.won - target) - volume - win_rate  # = N x w x (s - s0), exact
    effects = {"volume": volume, "win_rate": win_rate, "deal_size": deal_size}
    variance = actual.won - target
    if variance < 0:
        name = min(effects, key=lambda k: effects[k])
        driver = _(DRIVERS[name][0])
    elif variance > 0:
        name = max(effects, key=lambda k: effects[k])
        driver = _(DRIVERS[name][1])
    else:
        driver = _("on plan")
    return Drivers(
        planned_closed_deals=n_plan.quantize(Decimal("0.1")),
        volume=volume,
        win_rate=win_rate,
        deal_size=deal_size,
        main_driver=driver,
    )
