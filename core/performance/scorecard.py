"""The weighted scorecard of reps and regions: transparent, every score explained by its parts.

Six metrics, each measured for a period from the database and normalised to 0-100:

- attainment: won / target (active plan). Normalised: 100 x attainment / `attainment_full`
  (default 1.0, so 100 % of target scores 100), capped at 100. When the rep (or the region's
  own rows) also has a units or deals-created target in an active plan of the period, each of
  those measures is scored the same way (achieved / target, core.progress.measures) and the
  part's normalised value is the plain mean of the scores of every measure with a target,
  revenue included when it has one; the part keeps its weight.
- activities: with a visits target in an active plan of the period, visits achieved / visits
  target ("47 visits of a target of 60"), normalised 100 x that ratio, capped at 100. Without
  one, activity points, visits counted separately from calls and emails. Points per
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

from datetime import timedelta
from decimal import Decimal

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
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
    score,
    trend_arrow,
    validate_weights,
)
from core.i18n import N_, _
from core.models import Actor, Period, Role
from core.org import audit
from core.org.access import ensure_can_view_person, ensure_role, in_scope
from core.org.company import fiscal_start_month, get_setting, set_setting
from core.org.regions import load_region_tree
from core.performance.scorecard_figures import (
    ACTIVITY_FIELDS,
    region_figures,
    rep_figures,
    rep_figures_by_period,
)
from core.periods import add_months, fiscal_year, month, quarter_of, week_of
from core.progress import figures
from db.schema import Deal, Person, ScorecardWeight

__all__ = ["ACTIVITY_FIELDS", "region_figures", "rep_figures"]

BENCHMARKS_SETTING = "scorecard_benchmarks"


def benchmarks(session: Session) -> Benchmarks:
    try:
        return Benchmarks(**(get_setting(session, BENCHMARKS_SETTING) or {}))
    except ValidationError:
        return Benchmarks()


def set_benchmarks(session: Session, actor: Actor, values: dict[str, object]) -> Benchmarks:
    """Change the normalisation parameters (admins and directors), audited."""
    ensure_role(actor, Role.ADMIN, action=_("change scorecard benchmarks"))
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
    ensure_role(actor, Role.ADMIN, action=_("set scorecard weights"))
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


# --- the scorecard ---------------------------------------------------------------------------


class MeasureTarget(BaseModel):
    """A count measure's target beside the score (units, visits, deals created)."""

    measure: str
    target: Decimal
    achieved: Decimal
    attainment: Decimal | None


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
    targets: list[MeasureTarget] = []
    """The count measures with a target in the period (they replace benchmarks in the parts)."""


SPLIT_CREDIT_NOTE = N_(
    "A deal whose credit is split counts for each credited person with that person's share of "
    "its amount; its win and its cycle time count once for each credited person."
)
"""The scorecard's explanation of split credit, shown beside every scorecard (`_()` it)."""


def rep_not_priced(
    session: Session, actor: Actor, person_id: int, period: Period
) -> list[figures.NotPriced]:
    """The rep's deals won in the period that are not priced (beside the scorecard's won)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(_("No person with id {person_id}.").format(person_id=person_id))
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
        where = [Deal.owner_id.in_([pid for pid, _name, _region in visible_reps(session, actor)])]
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
    parts = [part.model_copy(update={"label": _(part.label)}) for part in parts]  # the metric names
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
        targets=[
            MeasureTarget(
                measure=name,
                target=count.target,
                achieved=count.achieved,
                attainment=(count.achieved / count.target).quantize(Decimal("0.0001"))
                if count.target
                else None,
            )
            for name, count in f.counts.items()
        ],
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
    session: Session,
    actor: Actor,
    period: Period,
    person_ids: list[int] | None = None,
    *,
    product_line: str = "",
) -> list[Scorecard]:
    """Scorecards of the reps the actor may rank (optionally only `person_ids`), by name; of
    one product line's deals and plans when given (core.performance.scorecard_figures)."""
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
    ids = [r[0] for r in reps]
    figures = rep_figures(
        session, period, None if everyone else ids, bench, ranked=ids, product_line=product_line
    )
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


def rep_scorecard(
    session: Session, actor: Actor, person_id: int, period: Period, *, product_line: str = ""
) -> Scorecard:
    """One rep's scorecard: reps their own, managers their subtree, directors everyone (of one
    product line when given)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(_("No person with id {person_id}.").format(person_id=person_id))
    ensure_can_view_person(actor, person_id=person_id, region_id=person.region_id)
    bench = benchmarks(session)
    weights = weights_for(session, period.fiscal_year)
    figures = rep_figures(session, period, [person_id], bench, product_line=product_line)[person_id]
    names = load_region_tree(session).names
    region = names.get(person.region_id, "") if person.region_id is not None else ""
    return _card(person_id, person.name, "rep", region, period, figures, weights, bench)


def comparable_regions(session: Session, actor: Actor) -> list[int]:
    """Regions a leader compares: a director the regions below the company, a manager the teams
    below the regions they manage (or those regions when they have no teams)."""
    if actor.role == Role.REP:
        raise PermissionDenied(_("Region comparisons are for managers and directors."))
    tree = load_region_tree(session)
    if actor.sees_everything:
        tops = [tree.root_id] if tree.root_id else []
    else:
        ids = actor.scope_region_ids or frozenset()
        tops = [r for r in ids if tree.parents.get(r) not in ids]
    children = [c for top in tops for c in tree.children.get(top, [])]
    return children or tops


def region_scorecards(
    session: Session,
    actor: Actor,
    period: Period,
    region_ids: list[int] | None = None,
    *,
    product_line: str = "",
) -> list[Scorecard]:
    """Scorecards of regions (default: `comparable_regions`), each with its subtree (of one
    product line when given)."""
    if actor.role == Role.REP:
        raise PermissionDenied(_("Region comparisons are for managers and directors."))
    ids = region_ids if region_ids is not None else comparable_regions(session, actor)
    for region_id in ids:
        if not in_scope(actor, region_id):
            raise PermissionDenied(_("You can only see figures of regions you manage."))
    bench = benchmarks(session)
    weights = weights_for(session, period.fiscal_year)
    tree = load_region_tree(session)
    figures = region_figures(session, period, ids, bench, product_line=product_line)
    parent_names = {r: tree.names.get(tree.parents.get(r) or 0, "") for r in ids}
    return [
        _card(r, tree.names[r], "region", parent_names[r], period, figures[r], weights, bench)
        for r in ids
    ]


def previous_period(period: Period, fiscal_start: int = 1) -> Period:
    """The period of the same kind just before."""
    if period.kind == "week":
        return week_of(period.start - timedelta(days=7), fiscal_start)
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


def leaderboard(
    session: Session, actor: Actor, period: Period, *, product_line: str = ""
) -> list[LeaderboardRow]:
    """Reps ranked by score (ties share a rank; reps without a score come last); of one
    product line when given. The period and the previous one (for the trend) are read in one
    pass and only scored (core.evaluation.score: the explained scorecard's score, without its
    parts); `rep_scorecard` explains the one opened."""
    reps = visible_reps(session, actor)
    if not reps:
        return []
    before = previous_period(period, fiscal_start_month(session))
    bench = benchmarks(session)
    ids = [r[0] for r in reps]
    earlier, current = rep_figures_by_period(
        session,
        [before, period],
        None if actor.sees_everything else ids,
        bench,
        ranked=ids,
        product_line=product_line,
    )
    names = load_region_tree(session).names
    weights = weights_for(session, period.fiscal_year)
    previous_weights = weights_for(session, before.fiscal_year)
    empty, empty_before = (RawFigures(months=len(p.months())) for p in (period, before))
    scored = []
    for pid, name, region in reps:
        f = current.get(pid, empty)
        attainment = (f.won_amount / f.target).quantize(Decimal("0.0001")) if f.target else None
        now = score(f, weights, bench)
        prev = score(earlier.get(pid, empty_before), previous_weights, bench)
        region_name = names.get(region, "") if region is not None else ""
        scored.append((pid, name, region_name, now, attainment, prev))
    ordered = sorted(scored, key=lambda c: (c[3] is None, -(c[3] or 0), c[1]))
    rows, rank, last = [], 0, None
    for position, (pid, name, region_name, now, attainment, prev) in enumerate(ordered, start=1):
        if now != last:
            rank, last = position, now
        rows.append(
            LeaderboardRow(
                rank=rank,
                person_id=pid,
                rep=name,
                region=region_name,
                score=now,
                attainment=attainment,
                previous_score=prev,
                trend=trend_arrow(now, prev),
            )
        )
    return rows


def score_trend(
    session: Session,
    actor: Actor,
    person_id: int,
    period: Period,
    count: int = 6,
    *,
    product_line: str = "",
) -> list[tuple[str, Decimal | None]]:
    """The rep's score in the `count` periods up to and including `period`, oldest first."""
    fsm = fiscal_start_month(session)
    periods = [period]
    for __ in range(count - 1):
        periods.append(previous_period(periods[-1], fsm))
    return [
        (p.label, rep_scorecard(session, actor, person_id, p, product_line=product_line).score)
        for p in reversed(periods)
    ]


def recent_periods(today, fiscal_start: int = 1, quarters: int = 6) -> list[Period]:
    """Periods people pick from: this quarter and the ones before, this and last fiscal year,
    the last three months, and this and last ISO week (for weekly sales meetings)."""
    current = quarter_of(today, fiscal_start)
    out = [current]
    for __ in range(quarters - 1):
        out.append(previous_period(out[-1], fiscal_start))
    year = fiscal_year(current.fiscal_year, fiscal_start)
    out += [year, previous_period(year, fiscal_start)]
    this_month = month(today.year, today.month, fiscal_start)
    out += [this_month, previous_period(this_month, fiscal_start)]
    out.append(previous_period(out[-1], fiscal_start))
    this_week = week_of(today, fiscal_start)
    out += [this_week, previous_period(this_week, fiscal_start)]
    return out
