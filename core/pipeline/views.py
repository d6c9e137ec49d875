"""Read views of deals: My deals, the pipeline board and table, one deal's detail.

Every row carries the stage model's flags, decided here and in `core.pipeline.rules`, never in
the UI: `days_in_stage`, `stalled` (open and longer in its stage than the stage's maximum
days), `overdue` (open and expected to close before today), `slipping` (open and its expected
close moved later at least the slipping threshold, the one setting the alerts use too) and
`next_is_won` (the next stage is won, so moving on asks for the closed-on date and amount).
Lists compute the flags in SQL with the same expressions as the alerts (`core.pipeline.flags`).

Every deal row shows its money twice: `amount` in the deal's own `currency`, and
`company_amount` in the company currency (None: not priced, with the currency's `first_rate` to
say why; see `core.pipeline.deal_amounts`), read in the same query as the row.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import clock
from core.errors import NotFound, PermissionDenied
from core.i18n import _
from core.models import Actor, CashStatus, DealStatus, ForecastCategory, Role
from core.org.access import ensure_active, ensure_can_view_person, in_scope, scope_filter
from core.org.company import fiscal_start_month
from core.org.regions import load_region_tree
from core.periods import parse_period
from core.pipeline.deal_amounts import amount_columns, first_rate
from core.pipeline.deals import ensure_can_edit_deal, ensure_can_view_deal, load_deal
from core.pipeline.flags import flag_columns, slipping_threshold, with_flags
from core.pipeline.follow_up_views import next_steps, with_next_steps
from core.pipeline.pricing import company_currency
from core.pipeline.rules import (
    OVERRIDERS,
    days_in_stage,
    is_overdue,
    is_slipping,
    is_stalled,
    move_blockers,
    next_cash_step,
    next_is_won,
    next_stage,
    roles_met,
)
from core.pipeline.stages import stage_rules
from core.pipeline.team import team_seats
from core.progress import figures
from db.schema import (
    Activity,
    Customer,
    Deal,
    DealStageHistory,
    DealTeamMember,
    LostReason,
    Person,
    Stage,
)


def _visible_deals(actor: Actor) -> list:
    """Which deals a list shows: a rep's own, a manager's subtree, everything for the rest."""
    return scope_filter(actor, owner=Deal.owner_id, region=Deal.region_id)


def my_open_deals(
    session: Session,
    actor: Actor,
    *,
    owner_id: int | None = None,
    limit: int = 300,
    today: date | None = None,
) -> pd.DataFrame:
    """Open deals of the actor (or of a rep the actor may see), soonest expected close first,
    with what a rep needs on a phone and the stage model's flags."""
    ensure_active(actor)
    today = today or clock.today()
    owner_id = actor.id if owner_id is None else owner_id
    if owner_id != actor.id:
        owner = session.get(Person, owner_id)
        if owner is None:
            raise NotFound(_("No person with id {owner_id}.").format(owner_id=owner_id))
        ensure_can_view_person(actor, person_id=owner.id, region_id=owner.region_id)
    query = (
        select(
            Deal.id,
            Deal.name,
            Customer.name.label("customer"),
            Stage.name.label("stage"),
            Deal.amount,
            *amount_columns(),
            Deal.expected_close,
            Deal.next_step,
            Deal.close_date_changes,
            Deal.version,
            Deal.stage_id,
            *flag_columns(session, today),
        )
        .join(Customer, Customer.id == Deal.customer_id)
        .join(Stage, Stage.id == Deal.stage_id)
        .where(Deal.owner_id == owner_id, Deal.status == DealStatus.OPEN)
        .order_by(Deal.expected_close, Deal.id)
        .limit(limit)
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=list(query.selected_columns.keys()))
    return with_next_steps(session, with_flags(session, frame))


class PipelineFilter(BaseModel):
    """Filters of the pipeline page; empty means everything the actor may see."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region_id: int | None = None
    owner_id: int | None = None
    stage_ids: tuple[int, ...] = ()
    close_period: str | None = None
    forecast_categories: tuple[ForecastCategory, ...] = ()
    statuses: tuple[DealStatus, ...] = (DealStatus.OPEN,)


def pipeline_where(session: Session, actor: Actor, filters: PipelineFilter) -> list:
    """The SQL conditions of the deals a Pipeline filter shows the actor (refuses a region
    outside their area)."""
    ensure_active(actor)
    where = _visible_deals(actor)
    if filters.region_id is not None:
        if actor.role == Role.REP or not in_scope(actor, filters.region_id):
            raise PermissionDenied(_("You can only filter on regions you manage."))
        where.append(Deal.region_id.in_(load_region_tree(session).subtree(filters.region_id)))
    if filters.owner_id is not None:
        where.append(Deal.owner_id == filters.owner_id)
    if filters.stage_ids:
        where.append(Deal.stage_id.in_(filters.stage_ids))
    if filters.close_period:
        period = parse_period(filters.close_period, fiscal_start_month(session))
        close = func.coalesce(Deal.closed_on, Deal.expected_close)
        where.append(close.between(period.start, period.end))
    if filters.forecast_categories:
        where.append(Deal.forecast_category.in_([c.value for c in filters.forecast_categories]))
    if filters.statuses:
        where.append(Deal.status.in_([s.value for s in filters.statuses]))
    return where


def pipeline_board(session: Session, actor: Actor, filters: PipelineFilter) -> pd.DataFrame:
    """One row per stage (all stages, in order): deals, amount and weighted amount, from the
    figures module's deals by stage."""
    totals = figures.deals_by_stage(session, where=pipeline_where(session, actor, filters))
    stages = session.execute(
        select(Stage.id, Stage.name, Stage.probability).order_by(Stage.position)
    ).all()
    rows = []
    for stage_id, name, probability in stages:
        tally = totals.get(stage_id, figures.Tally())
        rows.append(
            {
                "stage_id": stage_id,
                "stage": name,
                "probability": probability,
                "deals": tally.deals,
                "amount": tally.amount,
                "weighted": (tally.amount * Decimal(probability)).quantize(Decimal("0.01")),
            }
        )
    columns = ["stage_id", "stage", "probability", "deals", "amount", "weighted"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["deals"] = frame["deals"].astype(int)
    return frame


def pipeline_deals(
    session: Session,
    actor: Actor,
    filters: PipelineFilter,
    *,
    limit: int = 2000,
    today: date | None = None,
    largest_first: bool = False,
) -> pd.DataFrame:
    """The filtered deals as a table (at most `limit` rows), with the stage model's flags:
    soonest close first, or with `largest_first` the largest company amount first (deals of
    different currencies compare in the company currency; the not-priced ones come last)."""
    today = today or clock.today()
    where = pipeline_where(session, actor, filters)
    # Open deals have no closed-on date: ordering by the expected close alone lets the database
    # walk its (status, expected close) index instead of sorting every open deal.
    only_open = filters.statuses == (DealStatus.OPEN,)
    close = Deal.expected_close if only_open else func.coalesce(Deal.closed_on, Deal.expected_close)
    order = (Deal.company_amount.desc().nulls_last(), close) if largest_first else (close,)
    query = (
        select(
            Deal.id,
            Deal.name.label("deal"),
            Customer.name.label("customer"),
            Person.name.label("owner"),
            Stage.name.label("stage"),
            Deal.status,
            Deal.forecast_category,
            Deal.amount,
            *amount_columns(),
            (Deal.company_amount * Stage.probability).label("weighted"),
            Deal.expected_close,
            Deal.closed_on,
            Deal.close_date_changes.label("slips"),
            Deal.stage_entered_on,
            Deal.next_step,
            Deal.cash_status,
            Deal.stage_id,
            *flag_columns(session, today),
        )
        .join(Customer, Customer.id == Deal.customer_id)
        .join(Person, Person.id == Deal.owner_id)
        .join(Stage, Stage.id == Deal.stage_id)
        .where(*where)
        .order_by(*order, Deal.id)
        .limit(limit)
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=list(query.selected_columns.keys()))
    frame["weighted"] = pd.Series(  # a not-priced deal has no weighted amount either
        [None if v is None else Decimal(v).quantize(Decimal("0.01")) for v in frame["weighted"]],
        index=frame.index,
        dtype=object,
    )
    return with_next_steps(session, with_flags(session, frame))


def pipeline_top_deals(
    session: Session, actor: Actor, filters: PipelineFilter, *, per_stage: int = 5
) -> pd.DataFrame:
    """The largest deals of each stage (for the board's cards), ranked in SQL by company
    amount, the not-priced ones last."""
    where = pipeline_where(session, actor, filters)
    rank = (
        func.row_number()
        .over(
            partition_by=Deal.stage_id, order_by=(Deal.company_amount.desc().nulls_last(), Deal.id)
        )
        .label("rank")
    )
    ranked = select(Deal.id, Deal.stage_id, rank).where(*where).subquery()
    query = (
        select(
            Deal.id,
            Stage.name.label("stage"),
            Deal.name.label("deal"),
            Customer.name.label("customer"),
            Deal.amount,
            *amount_columns(),
        )
        .join(ranked, ranked.c.id == Deal.id)
        .join(Stage, Stage.id == Deal.stage_id)
        .join(Customer, Customer.id == Deal.customer_id)
        .where(ranked.c.rank <= per_stage)
        .order_by(Stage.position, ranked.c.rank)
    )
    return pd.DataFrame(session.execute(query).all(), columns=list(query.selected_columns.keys()))


def pipeline_filter_options(session: Session, actor: Actor) -> dict[str, list[tuple[int, str]]]:
    """Regions (the actor's subtree) and reps a manager or director can filter on."""
    tree = load_region_tree(session)
    region_ids = set(tree.names) if actor.sees_everything else set(actor.scope_region_ids or ())
    regions = sorted(
        ((r, tree.names[r]) for r in region_ids),
        key=lambda r: [(tree.names[node], node) for node in tree.path(r[0])],
    )  # each region under its parent, siblings by name
    labels = [(r, "· " * (len(tree.path(r)) - 1) + name) for r, name in regions]
    rep_query = select(Person.id, Person.name).where(Person.role == Role.REP).order_by(Person.name)
    if not actor.sees_everything:
        rep_query = rep_query.where(Person.region_id.in_(region_ids))
    reps = [(pid, name) for pid, name in session.execute(rep_query)]
    return {"regions": labels, "reps": reps}


class TeamMemberRow(BaseModel):
    id: int
    person_id: int
    person: str
    role: str


class HistoryRow(BaseModel):
    changed_at: datetime
    from_stage: str | None
    to_stage: str
    changed_by: str | None
    amount: Decimal
    reason: str | None


class ActivityRow(BaseModel):
    occurred_on: date
    type: str
    person: str
    outcome: str | None
    notes: str | None


class ChecklistItem(BaseModel):
    item: str
    done: bool


class DealDetail(BaseModel):
    """Everything the deal page shows: the deal, team, checklist, history, activities, cash."""

    id: int
    name: str
    customer_id: int
    customer: str
    owner_id: int
    owner: str
    region: str
    stage_id: int
    stage: str
    probability: Decimal
    status: DealStatus
    forecast_category: ForecastCategory
    amount: Decimal
    """In the deal's own currency."""
    currency: str
    company_amount: Decimal | None
    """In the company currency; None: not priced."""
    company_currency: str
    first_rate: date | None = None
    """For a not-priced deal: its currency's first rate (None: the currency has no rate)."""
    expected_close: date
    closed_on: date | None
    lost_reason: str | None
    lost_note: str | None = None
    quantity: int = 1
    next_step: str | None
    """The deal's next step: its earliest open follow-up, else its free-text note."""
    next_step_due: date | None = None
    next_step_note: str | None = None
    """The free-text note itself (what the edit form changes)."""
    stage_entered_on: date
    max_days: int | None
    close_date_changes: int
    days_in_stage: int
    stalled: bool
    overdue: bool
    slipping: bool
    next_is_won: bool
    version: int
    updated_by: str | None
    updated_at: datetime | None
    next_stage_id: int | None
    next_stage: str | None
    blockers: list[str]
    checklist: list[ChecklistItem]
    team: list[TeamMemberRow]
    history: list[HistoryRow]
    activities: list[ActivityRow]
    cash_status: CashStatus | None
    next_cash_step: CashStatus | None
    contract_signed_on: date | None
    contract_amount: Decimal | None
    invoiced_on: date | None
    invoiced_amount: Decimal | None
    paid_on: date | None
    paid_amount: Decimal | None
    can_edit: bool
    can_reopen: bool = False
    """A lost deal the actor may reopen (a manager or above, in scope)."""


def deal_detail(
    session: Session,
    actor: Actor,
    deal_id: int,
    *,
    activities: int = 50,
    today: date | None = None,
) -> DealDetail:
    """One deal with its team, checklist, stage history, latest activities, lead-to-cash and
    the stage model's flags."""
    today = today or clock.today()
    deal = load_deal(session, deal_id)
    ensure_can_view_deal(session, actor, deal)
    rules = stage_rules(session)
    by_id = {rule.id: rule for rule in rules}
    stage = session.get_one(Stage, deal.stage_id)
    current = by_id[deal.stage_id]
    following = next_stage(rules, current)
    team = [
        TeamMemberRow(id=mid, person_id=pid, person=name, role=role)
        for mid, pid, name, role in session.execute(
            select(DealTeamMember.id, Person.id, Person.name, DealTeamMember.role)
            .join(Person, Person.id == DealTeamMember.person_id)
            .where(DealTeamMember.deal_id == deal.id)
            .order_by(DealTeamMember.id)
        )
    ]
    done = list(deal.checklist_done or [])
    blockers = (
        move_blockers(rules, current, following, done, roles_met(team_seats(session, deal.id)))
        if following
        else []
    )
    changer = Person.__table__.alias("changer")
    history = [
        HistoryRow(
            changed_at=row.changed_at,
            from_stage=by_id[row.from_stage_id].name if row.from_stage_id in by_id else None,
            to_stage=by_id[row.to_stage_id].name if row.to_stage_id in by_id else "?",
            changed_by=row.name,
            amount=row.amount,
            reason=row.reason,
        )
        for row in session.execute(
            select(
                DealStageHistory.changed_at,
                DealStageHistory.from_stage_id,
                DealStageHistory.to_stage_id,
                DealStageHistory.amount,
                DealStageHistory.reason,
                changer.c.name,
            )
            .outerjoin(changer, changer.c.id == DealStageHistory.changed_by_id)
            .where(DealStageHistory.deal_id == deal.id)
            .order_by(DealStageHistory.changed_at.desc(), DealStageHistory.id.desc())
        )
    ]
    recent = [
        ActivityRow(occurred_on=a, type=t, person=p, outcome=o, notes=n)
        for a, t, p, o, n in session.execute(
            select(
                Activity.occurred_on, Activity.type, Person.name, Activity.outcome, Activity.notes
            )
            .join(Person, Person.id == Activity.person_id)
            .where(Activity.deal_id == deal.id)
            .order_by(Activity.occurred_on.desc(), Activity.id.desc())
            .limit(activities)
        )
    ]
    owner = session.get_one(Person, deal.owner_id)
    updater = session.get(Person, deal.updated_by_id) if deal.updated_by_id else None
    customer = session.get_one(Customer, deal.customer_id)
    tree = load_region_tree(session)
    try:
        ensure_can_edit_deal(actor, deal)
        can_edit = True
    except PermissionDenied:
        can_edit = False
    is_open = deal.status == DealStatus.OPEN
    days = days_in_stage(deal.stage_entered_on, today)
    step = next_steps(session, [deal.id]).get(deal.id)
    return DealDetail(
        id=deal.id,
        name=deal.name,
        customer_id=deal.customer_id,
        customer=customer.name,
        owner_id=deal.owner_id,
        owner=owner.name,
        region=tree.names.get(deal.region_id, "?"),
        stage_id=deal.stage_id,
        stage=stage.name,
        probability=stage.probability,
        status=DealStatus(deal.status),
        forecast_category=ForecastCategory(deal.forecast_category),
        amount=deal.amount,
        currency=deal.currency,
        company_amount=deal.company_amount,
        company_currency=company_currency(session),
        first_rate=first_rate(session, deal.currency) if deal.company_amount is None else None,
        expected_close=deal.expected_close,
        closed_on=deal.closed_on,
        # the listed reason under its current name (a rename renames it here too); the
        # free-text wording only for a deal lost before the list, with no listed reason
        lost_reason=(
            session.scalar(select(LostReason.name).where(LostReason.id == deal.lost_reason_id))
            if deal.lost_reason_id is not None
            else deal.lost_reason
        ),
        lost_note=deal.lost_note,
        quantity=deal.quantity,
        next_step=step.text if step else None,
        next_step_due=step.due_on if step else None,
        next_step_note=deal.next_step,
        stage_entered_on=deal.stage_entered_on,
        max_days=stage.max_days,
        close_date_changes=deal.close_date_changes,
        days_in_stage=days,
        stalled=is_stalled(days, stage.max_days, is_open=is_open),
        overdue=is_overdue(deal.expected_close, today, is_open=is_open),
        slipping=is_slipping(deal.close_date_changes, slipping_threshold(session), is_open=is_open),
        next_is_won=next_is_won(rules, current),
        version=deal.version,
        updated_by=updater.name if updater else None,
        updated_at=deal.updated_at,
        next_stage_id=following.id if following else None,
        next_stage=following.name if following else None,
        blockers=blockers,
        checklist=[ChecklistItem(item=i, done=i in done) for i in (stage.exit_checklist or [])],
        team=team,
        history=history,
        activities=recent,
        cash_status=CashStatus(deal.cash_status) if deal.cash_status else None,
        next_cash_step=next_cash_step(deal.cash_status) if deal.status == DealStatus.WON else None,
        contract_signed_on=deal.contract_signed_on,
        contract_amount=deal.contract_amount,
        invoiced_on=deal.invoiced_on,
        invoiced_amount=deal.invoiced_amount,
        paid_on=deal.paid_on,
        paid_amount=deal.paid_amount,
        can_edit=can_edit,
        can_reopen=can_edit and deal.status == DealStatus.LOST and actor.role in OVERRIDERS,
    )


def team_candidates(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Active people who can join a deal team (everyone active: teams cross regions)."""
    ensure_active(actor)
    return [
        (pid, f"{name} ({role})")
        for pid, name, role in session.execute(
            select(Person.id, Person.name, Person.role)
            .where(Person.active.is_(True))
            .order_by(Person.name)
        )
    ]


__all__ = [
    "ActivityRow",
    "ChecklistItem",
    "DealDetail",
    "HistoryRow",
    "PipelineFilter",
    "TeamMemberRow",
    "deal_detail",
    "my_open_deals",
    "pipeline_board",
    "pipeline_deals",
    "pipeline_filter_options",
    "pipeline_top_deals",
    "team_candidates",
]
