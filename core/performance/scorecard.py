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

Split credit: a deal whose credit is split counts for each credited person (and for each
person's region) with that person's share of its amount; its win counts once for each credited
person and its cycle time too (so two reps who share a win each have one win and its cycle
time). Forecast accuracy reads the committed deals as the period's first snapshot froze them
(owner, region and full amount), so a split made later does not move it. A deal not priced (no
exchange rate on its day) counts in no amount; `rep_not_priced` and `leaderboard_not_priced`
list those deals beside the figures.

Weights are percent per metric and fiscal year (table scorecard_weight, set by admins; they
must sum to 100). A metric without data (no target, no closed deal, nothing committed) is left
out and the other weights are scaled up to sum to 100 ("effective weight"), so a missing
figure neither rewards nor punishes. Each part contributes normalised x effective weight / 100,
rounded to cents of a point; the score is the sum of the contributions, so the explanation adds
up to the score exactly.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.evaluation import (
    DEFAULT_WEIGHTS,
    METRICS,
    POINT,
    Benchmarks,
    RawFigures,
    ScorePart,
    explain,
    trend_arrow,
    validate_weights,
)
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

BENCHMARKS_SETTING = "scorecard_benchmarks"


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


# --- figures from the database -----------------------------------------------------------------


def _deal_figures(
    session: Session, period: Period, by: str, deal_filters: list
) -> dict[int, dict[str, Any]]:
    """Won, lost, cycle days and pipeline created, by "owner" or "region" (the figures of
    core.progress.figures)."""
    won = figures.won(session, period, by=by, where=deal_filters, cycle_days=True)
    lost = figures.lost(session, period, by=by, where=deal_filters)
    created = figures.created(session, period, by=by, where=deal_filters)
    out: dict[int, dict[str, Any]] = {}
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
) -> dict[int, dict[str, Any]]:
    """Amount of the deals committed at the period's start, by the owner or region they
    counted for then (only `ids` unless None), and the amount of those deals won within the
    period. The committed deals are the ones frozen by the period's first forecast snapshot
    (core.progress.snapshots), rebuilt from the stage history only for a period never
    snapshotted."""
    committed = snapshots.committed_at_start(session, period, bench.commit_probability)
    key = committed.c.owner_id if key_name == "owner" else committed.c.region_id
    won = and_(Deal.status == DealStatus.WON, Deal.closed_on.between(period.start, period.end))
    query = (
        select(
            key, func.sum(committed.c.amount), func.sum(case((won, Deal.company_amount), else_=0))
        )
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


def _activity_counts(
    session: Session, period: Period, key, filters: list
) -> dict[int, dict[str, Any]]:
    query = (
        select(key, Activity.type, func.count())
        .join(Person, Person.id == Activity.person_id)
        .where(Activity.occurred_on.between(period.start, period.end))
        .group_by(key, Activity.type)
    )
    query = query.where(*filters)
    out: dict[int, dict[str, Any]] = {}
    for entity, kind, count in session.execute(query):
        out.setdefault(entity, {})[ACTIVITY_FIELDS.get(kind, "emails")] = int(count)
    return out


def _targets(session: Session, period: Period, *, by_rep: bool, ids) -> dict[int, Decimal]:
    """Each rep's (or region's own) target of the period."""
    if by_rep:
        monthly = figures.rep_targets_by_month(session, period, ids)
    else:
        monthly = figures.region_targets_by_month(session, period, ids or ())
    return {key: figures.total(months) or Decimal(0) for key, months in monthly.items()}


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
    committed = _committed_at_start(session, period, "region", None if everywhere else nodes, bench)
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


SPLIT_CREDIT_NOTE = (
    "A deal whose credit is split counts for each credited person with that person's share of "
    "its amount; its win and its cycle time count once for each credited person."
)
"""The scorecard's explanation of split credit, shown beside every scorecard."""


def rep_not_priced(
    session: Session, actor: Actor, person_id: int, period: Period
) -> list[figures.NotPriced]:
    """The rep's deals won in the period that are not priced (beside the scorecard's won)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    ensure_can_view_person(actor, person_id=person_id, region_id=person.region_id)
    where = [*figures.won_in(period), Deal.owner_id == person_id]
    return figures.not_priced(session, where, period=period)


def leaderboard_not_priced(
    session: Session, actor: Actor, period: Period
) -> list[figures.NotPriced]:
    """The deals won in the period by the reps of the actor's leaderboard that are not priced,
    read with the leaderboard's own filter (everyone's reps: no filter)."""
    if actor.sees_everything:
        where = []
    else:
        where = [Deal.owner_id.in_([pid for pid, _, _ in visible_reps(session, actor)])]
    return figures.not_priced(session, [*figures.won_in(period), *where], period=period)


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
            tree.names.get(region, "") if region is not None else "",
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
    names = load_region_tree(session).names
    region = names.get(person.region_id, "") if person.region_id is not None else ""
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
    parent_names = {r: tree.names.get(tree.parents.get(r) or 0, "") for r in ids}
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
