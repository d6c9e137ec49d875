"""The weighted scorecard of reps and regions: transparent, every score explained by its parts.

Six metrics, each measured for a period from the database and normalised to 0-100:

- attainment: won / target (active plan). Normalised: 100 x attainment / `attainment_full`
  (default 1.0, so 100 % of target scores 100), capped at 100.
- activities: activity points, visits counted separately from calls and emails. Points per
  activity: visit 3, meeting 2, demo 2, call 1, email 0.5. Normalised: 100 x points /
  (`activity_points_per_month` (40) x months x reps), capped at 100; a region counts its
  active reps.
- win_rate: won deals / (won + lost deals) closed in the period (by close date). Normalised:
  100 x win rate / `win_rate_full` (default 30 %), capped at 100.
- pipeline_generated: amount of new deals created in the period, as a multiple of the period's
  target. Normalised: 100 x multiple / `pipeline_multiple` (default 5 x target), capped at 100.
- cycle_time: average days from creation to win of deals won in the period. Normalised: 100 at
  or below `cycle_days_good` (60), 0 at or above `cycle_days_poor` (180), linear in between.
- forecast_accuracy: committed at the start of the period = amount of deals then open in a
  commit-level stage (probability >= `commit_probability`, default 0.60: Evaluation and
  later), as frozen by the period's first forecast snapshot (core.progress.snapshots: deal,
  amount, stage, owner and region at that moment), so a stage probability or a deal changed
  later never changes a past score; a period never snapshotted is rebuilt from the stage
  history (amount as it stood then). Delivered = the amount of those same deals won within
  the period. Accuracy = 1 - |delivered - committed| / committed. Normalised: 100 x
  accuracy, floored at 0.

Weights are percent per metric and fiscal year (table scorecard_weight, set by admins; they
must sum to 100). A metric without data (no target, no closed deal, nothing committed) is left
out and the other weights are scaled up to sum to 100 ("effective weight"), so a missing
figure neither rewards nor punishes. Each part contributes normalised x effective weight / 100,
rounded to cents of a point; the score is the sum of the contributions, so the explanation adds
up to the score exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.models import Actor, Period, Role
from core.org import audit
from core.org.access import ensure_can_view_person, ensure_role, in_scope
from core.org.company import fiscal_start_month, get_setting, set_setting
from core.org.regions import load_region_tree
from core.periods import add_months, fiscal_year, month, quarter_of
from core.progress import figures, snapshots
from db.schema import (
    Activity,
    Deal,
    DealStatus,
    Person,
    ScorecardWeight,
)

METRICS: dict[str, str] = {
    "attainment": "Attainment",
    "activities": "Activities",
    "win_rate": "Win rate",
    "pipeline_generated": "Pipeline generated",
    "cycle_time": "Cycle time",
    "forecast_accuracy": "Forecast accuracy",
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
BENCHMARKS_SETTING = "scorecard_benchmarks"
HUNDRED = Decimal(100)
POINT = Decimal("0.01")


class Benchmarks(BaseModel):
    """The normalisation parameters (app setting `scorecard_benchmarks`, admins may change)."""

    model_config = ConfigDict(extra="ignore")

    attainment_full: float = Field(1.0, gt=0, le=5, description="Attainment that scores 100")
    activity_points_per_month: float = Field(
        40.0, gt=0, le=10_000, description="Activity points per rep and month that score 100"
    )
    win_rate_full: float = Field(0.30, gt=0, le=1, description="Win rate that scores 100")
    pipeline_multiple: float = Field(
        5.0, gt=0, le=100, description="New pipeline as a multiple of target that scores 100"
    )
    cycle_days_good: float = Field(60.0, ge=0, le=1000, description="Cycle days that score 100")
    cycle_days_poor: float = Field(180.0, gt=0, le=2000, description="Cycle days that score 0")
    commit_probability: float = Field(
        0.60, gt=0, le=1, description="Stage probability from which a deal counts as committed"
    )

    @model_validator(mode="after")
    def _poor_after_good(self) -> Benchmarks:
        if self.cycle_days_poor <= self.cycle_days_good:
            raise ValueError("cycle_days_poor must be more than cycle_days_good")
        return self


def benchmarks(session: Session) -> Benchmarks:
    try:
        return Benchmarks(**(get_setting(session, BENCHMARKS_SETTING) or {}))
    except ValidationError:
        return Benchmarks()


def set_benchmarks(session: Session, actor: Actor, values: dict[str, object]) -> Benchmarks:
    """Change the normalisation parameters (admins and directors), audited."""
    ensure_role(actor, Role.ADMIN, action="change scorecard benchmarks")
    before = benchmarks(session)
    try:
        new = Benchmarks(**{**before.model_dump(), **values})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = first["loc"][0] if first["loc"] else "benchmarks"
        raise ValidationFailed(f"{where}: {first['msg'].removeprefix('Value error, ')}.") from None
    set_setting(session, BENCHMARKS_SETTING, new.model_dump())
    audit.record(
        session, actor, "set", "app_setting", before=before.model_dump(), after=new.model_dump()
    )
    return new


# --- weights ---------------------------------------------------------------------------------


def validate_weights(weights: dict[str, object]) -> dict[str, Decimal]:
    """Every metric once, each 0-100, summing to exactly 100; otherwise a clear refusal."""
    unknown = sorted(set(weights) - set(METRICS))
    if unknown:
        raise ValidationFailed(f"Unknown scorecard metric: {', '.join(unknown)}.")
    out: dict[str, Decimal] = {}
    for metric, label in METRICS.items():
        try:
            value = Decimal(str(weights.get(metric, 0)))
        except ArithmeticError:
            raise ValidationFailed(f"The weight of {label} is not a number.") from None
        if not value.is_finite() or value < 0 or value > 100:
            raise ValidationFailed(f"The weight of {label} must be between 0 and 100.")
        out[metric] = value.quantize(POINT)
    total = sum(out.values(), Decimal(0))
    if total != HUNDRED:
        raise ValidationFailed(f"The weights must sum to 100; they sum to {total.normalize():f}.")
    return out


def weights_for(session: Session, fiscal_year_number: int) -> dict[str, Decimal]:
    """The weights of the fiscal year; else of the latest earlier year set; else the defaults."""
    year = session.scalar(
        select(func.max(ScorecardWeight.fiscal_year)).where(
            ScorecardWeight.fiscal_year <= fiscal_year_number
        )
    )
    if year is None:
        return dict(DEFAULT_WEIGHTS)
    rows = dict(
        session.execute(
            select(ScorecardWeight.metric, ScorecardWeight.weight).where(
                ScorecardWeight.fiscal_year == year
            )
        ).all()
    )
    return {metric: Decimal(rows.get(metric, 0)) for metric in METRICS}


def set_weights(
    session: Session, actor: Actor, fiscal_year_number: int, weights: dict[str, object]
) -> dict[str, Decimal]:
    """Store a fiscal year's weights (admins and directors), audited."""
    ensure_role(actor, Role.ADMIN, action="set scorecard weights")
    valid = validate_weights(weights)
    existing = {
        row.metric: row
        for row in session.scalars(
            select(ScorecardWeight).where(ScorecardWeight.fiscal_year == fiscal_year_number)
        )
    }
    before = {metric: row.weight for metric, row in existing.items()}
    for metric, weight in valid.items():
        if metric in existing:
            existing[metric].weight = weight
        else:
            session.add(
                ScorecardWeight(fiscal_year=fiscal_year_number, metric=metric, weight=weight)
            )
    session.flush()
    audit.record(
        session,
        actor,
        "set_weights",
        "scorecard_weight",
        fiscal_year_number,
        before=before or None,
        after=valid,
    )
    return valid


# --- raw figures -------------------------------------------------------------------------------


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

    def plus(self, other: RawFigures) -> RawFigures:
        """The figures of both together (targets: None only if both have none)."""
        out = RawFigures(months=self.months, reps=self.reps + other.reps)
        for item in fields(self):
            if item.name in ("months", "reps"):
                continue
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            if item.name == "target":
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


class Scorecard(BaseModel):
    """The score of a rep or region for a period with its explanation."""

    entity_id: int
    entity: str
    kind: str  # "rep" | "region"
    region: str = ""
    period: str
    score: Decimal | None
    attainment: Decimal | None
    won: Decimal
    target: Decimal | None
    parts: list[ScorePart]


def _clamp(value: float) -> Decimal:
    bounded = min(100.0, max(0.0, value))
    return Decimal(str(bounded)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _money_text(value: Decimal | float) -> str:
    return f"{float(value):,.0f}"


def measure(
    metric: str, f: RawFigures, bench: Benchmarks
) -> tuple[float | None, str, Decimal | None]:
    """The raw value of one metric, a sentence showing the figures, and its 0-100 score."""
    if metric == "attainment":
        if not f.target:
            return None, f"won {_money_text(f.won_amount)}, no target", None
        raw = float(f.won_amount / f.target)
        text = f"won {_money_text(f.won_amount)} of {_money_text(f.target)} = {raw:.1%}"
        return raw, text, _clamp(100 * raw / bench.attainment_full)
    if metric == "activities":
        raw = f.activity_points
        norm = bench.activity_points_per_month * f.months * max(f.reps, 1)
        text = (
            f"{f.visits} visits, {f.calls} calls, {f.emails} emails, "
            f"{f.meetings + f.demos} meetings/demos = {raw:g} points of {norm:g}"
        )
        return raw, text, _clamp(100 * raw / norm if norm else 0)
    if metric == "win_rate":
        closed = f.won_deals + f.lost_deals
        if not closed:
            return None, "no deal closed", None
        raw = f.won_deals / closed
        return (
            raw,
            f"{f.won_deals} won of {closed} closed = {raw:.1%}",
            _clamp(100 * raw / bench.win_rate_full),
        )
    if metric == "pipeline_generated":
        if not f.target:
            return None, f"created {_money_text(f.pipeline_created)}, no target", None
        raw = float(f.pipeline_created / f.target)
        text = f"created {_money_text(f.pipeline_created)} = {raw:.2f} x target"
        return raw, text, _clamp(100 * raw / bench.pipeline_multiple)
    if metric == "cycle_time":
        if not f.won_deals:
            return None, "no deal won", None
        raw = f.cycle_days_total / f.won_deals
        span = bench.cycle_days_poor - bench.cycle_days_good
        score = 100 * (bench.cycle_days_poor - raw) / span if span > 0 else 0
        return raw, f"{raw:.0f} days on average over {f.won_deals} won", _clamp(score)
    if metric == "forecast_accuracy":
        if not f.committed_at_start:
            return None, "nothing committed at the start", None
        gap = abs(f.committed_won - f.committed_at_start)
        raw = 1 - float(gap / f.committed_at_start)
        text = (
            f"committed {_money_text(f.committed_at_start)} at the start, "
            f"won {_money_text(f.committed_won)} of it: accuracy {raw:.1%}"
        )
        return raw, text, _clamp(100 * raw)
    raise ValueError(f"unknown metric {metric}")


def explain(
    figures: RawFigures, weights: dict[str, Decimal], bench: Benchmarks
) -> tuple[Decimal | None, list[ScorePart]]:
    """The score and its parts; contributions add up to the score exactly."""
    measured = {metric: measure(metric, figures, bench) for metric in METRICS}
    counted = sum(
        (weights.get(m, Decimal(0)) for m, (_, _, n) in measured.items() if n is not None),
        Decimal(0),
    )
    parts: list[ScorePart] = []
    for metric, (raw, text, normalised) in measured.items():
        weight = weights.get(metric, Decimal(0))
        if normalised is None or not counted:
            effective, contribution = Decimal(0), Decimal(0)
        else:
            effective = weight * HUNDRED / counted
            contribution = (normalised * effective / HUNDRED).quantize(POINT, ROUND_HALF_UP)
        parts.append(
            ScorePart(
                metric=metric,
                label=METRICS[metric],
                raw=raw,
                raw_text=text,
                normalised=normalised,
                weight=weight,
                effective_weight=effective.quantize(POINT, ROUND_HALF_UP),
                contribution=contribution,
            )
        )
    if not counted:
        return None, parts
    return sum((p.contribution for p in parts), Decimal(0)), parts


# --- figures from the database -----------------------------------------------------------------


def _deal_figures(session: Session, period: Period, by: str, deal_filters: list) -> dict[int, dict]:
    """Won, lost, cycle days and pipeline created, by "owner" or "region" (the figures of
    core.progress.figures)."""
    won = figures.won(session, period, by=by, where=deal_filters)
    lost = figures.lost(session, period, by=by, where=deal_filters)
    created = figures.created(session, period, by=by, where=deal_filters)
    out: dict[int, dict] = {}
    for entity in set(won) | set(lost) | set(created):
        tally = won.get(entity, figures.WonTally())
        out[entity] = {
            "won_amount": tally.amount,
            "won_deals": tally.deals,
            "lost_deals": lost.get(entity, figures.Tally()).deals,
            "cycle_days_total": tally.cycle_days,
            "pipeline_created": created.get(entity, figures.Tally()).amount,
        }
    return out


def _committed_at_start(
    session: Session, period: Period, key_name: str, ids, bench: Benchmarks
) -> dict[int, dict[str, Decimal]]:
    """Amount of the deals committed at the period's start, by the owner or region they
    counted for then (only `ids` unless None), and the amount of those deals won within the
    period. The committed deals are the ones frozen by the period's first forecast snapshot
    (core.progress.snapshots), rebuilt from the stage history only for a period never
    snapshotted."""
    committed = snapshots.committed_at_start(session, period, bench.commit_probability)
    key = committed.c.owner_id if key_name == "owner" else committed.c.region_id
    won = and_(Deal.status == DealStatus.WON, Deal.closed_on.between(period.start, period.end))
    query = (
        select(key, func.sum(committed.c.amount), func.sum(case((won, Deal.amount), else_=0)))
        .join(Deal, Deal.id == committed.c.deal_id)
        .group_by(key)
    )
    if ids is not None:
        query = query.where(key.in_(ids))
    return {
        entity: {"committed_at_start": Decimal(total or 0), "committed_won": Decimal(won or 0)}
        for entity, total, won in session.execute(query)
    }


ACTIVITY_FIELDS = {"visit": "visits", "call": "calls", "meeting": "meetings", "demo": "demos"}


def _activity_counts(session: Session, period: Period, key, filters: list) -> dict[int, dict]:
    query = (
        select(key, Activity.type, func.count())
        .join(Person, Person.id == Activity.person_id)
        .where(Activity.occurred_on.between(period.start, period.end))
        .group_by(key, Activity.type)
    )
    query = query.where(*filters)
    out: dict[int, dict] = {}
    for entity, kind, count in session.execute(query):
        out.setdefault(entity, {})[ACTIVITY_FIELDS.get(kind, "emails")] = int(count)
    return out


def _targets(session: Session, period: Period, *, by_rep: bool, ids) -> dict[int, Decimal]:
    """Each rep's (or region's own) target of the period."""
    if by_rep:
        monthly = figures.rep_targets_by_month(session, period, ids)
    else:
        monthly = figures.region_targets_by_month(session, period, ids or ())
    return {key: figures.total(months) for key, months in monthly.items()}


def rep_figures(
    session: Session, period: Period, person_ids: list[int] | None, bench: Benchmarks
) -> dict[int, RawFigures]:
    """Raw figures per rep (all reps with activity in the period when `person_ids` is None)."""
    months = len(period.months())
    deal_filters = [] if person_ids is None else [Deal.owner_id.in_(person_ids)]
    activity_filters = [] if person_ids is None else [Activity.person_id.in_(person_ids)]
    deals = _deal_figures(session, period, "owner", deal_filters)
    acts = _activity_counts(session, period, Activity.person_id, activity_filters)
    committed = _committed_at_start(session, period, "owner", person_ids, bench)
    targets = _targets(session, period, by_rep=True, ids=person_ids)
    ids = person_ids if person_ids is not None else sorted(set(deals) | set(acts) | set(targets))
    out = {}
    for pid in ids:
        out[pid] = RawFigures(
            target=targets.get(pid),
            months=months,
            **committed.get(pid, {}),
            **deals.get(pid, {}),
            **acts.get(pid, {}),
        )
    return out


def region_figures(
    session: Session, period: Period, region_ids: list[int], bench: Benchmarks
) -> dict[int, RawFigures]:
    """Raw figures per region with its whole subtree: deals by the region credited, activities
    by the rep's region, target from the region's own plan rows, reps = active reps."""
    tree = load_region_tree(session)
    months = len(period.months())
    nodes = frozenset().union(*(tree.subtree(r) for r in region_ids))
    everywhere = nodes | {tree.root_id} >= set(tree.names)
    deal_filters = [] if everywhere else [Deal.region_id.in_(nodes)]
    activity_filters = [] if everywhere else [Person.region_id.in_(nodes)]
    deals = _deal_figures(session, period, "region", deal_filters)
    acts = _activity_counts(session, period, Person.region_id, activity_filters)
    committed = _committed_at_start(
        session, period, "region", None if everywhere else nodes, bench
    )
    targets = _targets(session, period, by_rep=False, ids=region_ids)
    headcount = dict(
        session.execute(
            select(Person.region_id, func.count())
            .where(Person.role == Role.REP, Person.active.is_(True))
            .group_by(Person.region_id)
        ).all()
    )
    out = {}
    for region_id in region_ids:
        total = RawFigures(months=months, reps=0)
        for node in tree.subtree(region_id):
            total = total.plus(
                RawFigures(
                    months=months,
                    **committed.get(node, {}),
                    reps=int(headcount.get(node, 0)),
                    **deals.get(node, {}),
                    **acts.get(node, {}),
                )
            )
        total.target = targets.get(region_id)
        out[region_id] = total
    return out


# --- services ------------------------------------------------------------------------------------


def _card(
    entity_id: int,
    entity: str,
    kind: str,
    region: str,
    period: Period,
    f: RawFigures,
    weights,
    bench,
) -> Scorecard:
    score, parts = explain(f, weights, bench)
    attainment = (f.won_amount / f.target).quantize(Decimal("0.0001")) if f.target else None
    return Scorecard(
        entity_id=entity_id,
        entity=entity,
        kind=kind,
        region=region,
        period=period.label,
        score=score,
        attainment=attainment,
        won=f.won_amount.quantize(POINT),
        target=f.target.quantize(POINT) if f.target is not None else None,
        parts=parts,
    )


def visible_reps(session: Session, actor: Actor) -> list[tuple[int, str, int | None]]:
    """Reps on the actor's leaderboard: a rep's own team, a manager's subtree, everyone else all."""
    query = select(Person.id, Person.name, Person.region_id).where(
        Person.role == Role.REP, Person.active.is_(True)
    )
    if actor.role == Role.REP:
        query = query.where(Person.region_id == actor.region_id)
    elif not actor.sees_everything:
        query = query.where(Person.region_id.in_(actor.scope_region_ids or ()))
    return list(session.execute(query.order_by(Person.name)).all())


def rep_scorecards(
    session: Session, actor: Actor, period: Period, person_ids: list[int] | None = None
) -> list[Scorecard]:
    """Scorecards of the reps the actor may rank (optionally only `person_ids`), by name."""
    reps = visible_reps(session, actor)
    if person_ids is not None:
        reps = [r for r in reps if r[0] in set(person_ids)]
    if not reps:
        return []
    bench = benchmarks(session)
    weights = weights_for(session, period.fiscal_year)
    tree = load_region_tree(session)
    # Everyone's reps: one unfiltered GROUP BY is cheaper than a list of thousands of ids.
    everyone = actor.sees_everything and person_ids is None
    figures = rep_figures(session, period, None if everyone else [r[0] for r in reps], bench)
    empty = RawFigures(months=len(period.months()))
    return [
        _card(
            pid,
            name,
            "rep",
            tree.names.get(region, ""),
            period,
            figures.get(pid, empty),
            weights,
            bench,
        )
        for pid, name, region in reps
    ]


def rep_scorecard(session: Session, actor: Actor, person_id: int, period: Period) -> Scorecard:
    """One rep's scorecard: reps their own, managers their subtree, directors everyone."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    ensure_can_view_person(actor, person_id=person_id, region_id=person.region_id)
    bench = benchmarks(session)
    weights = weights_for(session, period.fiscal_year)
    figures = rep_figures(session, period, [person_id], bench)[person_id]
    region = load_region_tree(session).names.get(person.region_id, "")
    return _card(person_id, person.name, "rep", region, period, figures, weights, bench)


def comparable_regions(session: Session, actor: Actor) -> list[int]:
    """Regions a leader compares: a director the regions below the company, a manager the teams
    below the regions they manage (or those regions when they have no teams)."""
    if actor.role == Role.REP:
        raise PermissionDenied("Region comparisons are for managers and directors.")
    tree = load_region_tree(session)
    if actor.sees_everything:
        tops = [tree.root_id] if tree.root_id else []
    else:
        ids = actor.scope_region_ids or frozenset()
        tops = [r for r in ids if tree.parents.get(r) not in ids]
    children = [c for top in tops for c in tree.children.get(top, [])]
    return children or tops


def region_scorecards(
    session: Session, actor: Actor, period: Period, region_ids: list[int] | None = None
) -> list[Scorecard]:
    """Scorecards of regions (default: `comparable_regions`), each with its subtree."""
    if actor.role == Role.REP:
        raise PermissionDenied("Region comparisons are for managers and directors.")
    ids = region_ids if region_ids is not None else comparable_regions(session, actor)
    for region_id in ids:
        if not in_scope(actor, region_id):
            raise PermissionDenied("You can only see figures of regions you manage.")
    bench = benchmarks(session)
    weights = weights_for(session, period.fiscal_year)
    tree = load_region_tree(session)
    figures = region_figures(session, period, ids, bench)
    parent_names = {r: tree.names.get(tree.parents.get(r), "") for r in ids}
    return [
        _card(r, tree.names[r], "region", parent_names[r], period, figures[r], weights, bench)
        for r in ids
    ]


def previous_period(period: Period, fiscal_start: int = 1) -> Period:
    """The period of the same kind just before."""
    if period.kind == "year":
        return fiscal_year(period.fiscal_year - 1, fiscal_start)
    if period.kind == "quarter":
        return quarter_of(add_months(period.start, -3), fiscal_start)
    before = add_months(period.start, -1)
    return month(before.year, before.month, fiscal_start)


class LeaderboardRow(BaseModel):
    rank: int
    person_id: int
    rep: str
    region: str
    score: Decimal | None
    attainment: Decimal | None
    previous_score: Decimal | None
    trend: str  # "▲", "▼", "▬" or "" without a previous score


def trend_arrow(score: Decimal | None, previous: Decimal | None, *, tolerance=Decimal(1)) -> str:
    """Up or down when the score moved more than one point since the previous period."""
    if score is None or previous is None:
        return ""
    if score - previous > tolerance:
        return "▲"
    if previous - score > tolerance:
        return "▼"
    return "▬"


def leaderboard(session: Session, actor: Actor, period: Period) -> list[LeaderboardRow]:
    """Reps ranked by score (ties share a rank; reps without a score come last)."""
    current = rep_scorecards(session, actor, period)
    before = previous_period(period, fiscal_start_month(session))
    previous = {c.entity_id: c.score for c in rep_scorecards(session, actor, before)}
    ordered = sorted(current, key=lambda c: (c.score is None, -(c.score or 0), c.entity))
    rows, rank, last = [], 0, None
    for position, card in enumerate(ordered, start=1):
        if card.score != last:
            rank, last = position, card.score
        prev = previous.get(card.entity_id)
        rows.append(
            LeaderboardRow(
                rank=rank,
                person_id=card.entity_id,
                rep=card.entity,
                region=card.region,
                score=card.score,
                attainment=card.attainment,
                previous_score=prev,
                trend=trend_arrow(card.score, prev),
            )
        )
    return rows


def score_trend(
    session: Session, actor: Actor, person_id: int, period: Period, count: int = 6
) -> list[tuple[str, Decimal | None]]:
    """The rep's score in the `count` periods up to and including `period`, oldest first."""
    fsm = fiscal_start_month(session)
    periods = [period]
    for _ in range(count - 1):
        periods.append(previous_period(periods[-1], fsm))
    return [(p.label, rep_scorecard(session, actor, person_id, p).score) for p in reversed(periods)]


def recent_periods(today, fiscal_start: int = 1, quarters: int = 6) -> list[Period]:
    """Periods people pick from: this quarter and the ones before, this and last fiscal year,
    and the last three months."""
    current = quarter_of(today, fiscal_start)
    out = [current]
    for _ in range(quarters - 1):
        out.append(previous_period(out[-1], fiscal_start))
    year = fiscal_year(current.fiscal_year, fiscal_start)
    out += [year, previous_period(year, fiscal_start)]
    this_month = month(today.year, today.month, fiscal_start)
    out += [this_month, previous_period(this_month, fiscal_start)]
    out.append(previous_period(out[-1], fiscal_start))
    return out
