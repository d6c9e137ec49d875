"""Creating deals in the app: a new deal, and a copy of an existing one.

Rules:
- A rep creates deals for herself; a manager for herself or a person of her area (the owner's
  region in her subtree); directors and admins for any active rep or manager. The deal is
  credited to the owner's region.
- The customer must exist (every customer is visible to everyone); a product, when given, must
  be active. The amount is zero or more, the quantity at least 1, the expected close today or
  later.
- A new deal starts at the first stage. A later open stage is allowed only when its entry rules
  are met as if the deal had walked there: the exit checklist of every stage before it ticked
  and the deal-team roles of every stage on the way filled. A new deal has no team yet, so a
  stage that needs a role cannot be a starting stage.
- A second open deal for the same customer and product is not refused but warned about: the
  warning comes back instead of the deal, and the same request with `confirm` creates it.
- The next step with a due date becomes the deal's first follow-up (`core.pipeline.follow_ups`),
  owned by the deal's owner, in the same transaction; a next step without a date stays the
  deal's free-text next step.
- Every new deal gets stage history (entering its stage on the day) and an audit entry, and
  starts at version 1. A copy starts at the first stage, open, and names its original.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import case, null, select
from sqlalchemy.orm import Session

from core import clock
from core.currency import currency_code
from core.customers.editing import CustomerInput, create_customer
from core.errors import PermissionDenied, ValidationFailed
from core.i18n import _
from core.models import Actor, DealStatus, ForecastCategory, Money, Role
from core.org import audit
from core.org.access import deals_in_view, ensure_active, in_scope
from core.pipeline import stage_stays
from core.pipeline.deals import ensure_can_edit_deal, load_deal
from core.pipeline.follow_ups import add_follow_up
from core.pipeline.rules import StageRule, move_blockers
from core.pipeline.stages import stage_rules
from core.pipeline.wording import listing, shown
from db.schema import Customer, Deal, DealStageHistory, Person, Product, Stage

MAX_QUANTITY = 1_000_000
RecordId = Annotated[int, Field(ge=1, le=2_147_483_647)]
"""An id as a form sends it: a positive integer a database key can hold."""


class DealDraft(BaseModel):
    """A new deal as entered on the form."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer_id: RecordId | None = None
    """None only with a new customer (`create_deal_for_new_customer`)."""
    name: str = Field(min_length=1, max_length=200)
    product_id: RecordId | None = None
    amount: Money
    currency: str | None = Field(default=None, max_length=3)
    """ISO 4217 code of the amount; None: the company currency."""
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY)
    expected_close: date
    stage_id: RecordId | None = None
    """None: the first stage."""
    forecast_category: ForecastCategory = ForecastCategory.PIPELINE
    next_step: str | None = Field(default=None, max_length=200)
    next_step_due: date | None = None
    owner_id: RecordId | None = None
    """None: the acting user."""
    checklist_done: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=100
    )
    """Exit items ticked of the stages before a later starting stage."""

    @field_validator("next_step", mode="before")
    @classmethod
    def blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class SimilarDeal(BaseModel):
    """An open deal of the same customer and product (existence only: no amount). Its name and
    expected close are shown only when the deal is in the acting user's view (None otherwise):
    another rep's deal shows its owner and stage only."""

    id: int
    name: str | None
    owner: str
    stage: str
    expected_close: date | None


class CreationResult(BaseModel):
    """The new deal's id, or (when not confirmed) the warning to confirm first."""

    deal_id: int | None = None
    warning: str | None = None
    similar: list[SimilarDeal] = Field(default_factory=list)


class StartingStage(BaseModel):
    """An open stage a new deal may name, with the exit items of the stages before it."""

    id: int
    name: str
    earlier_items: list[str]


class NewDealOptions(BaseModel):
    """What the New deal form offers the actor."""

    owners: list[tuple[int, str]]
    products: list[tuple[int, str]]
    stages: list[StartingStage]


def new_deal_options(session: Session, actor: Actor) -> NewDealOptions:
    """The owners the actor may create for, the active products and the open stages."""
    rules = _open_stages(stage_rules(session))
    stages = [
        StartingStage(
            id=rule.id,
            name=rule.name,
            earlier_items=[item for before in rules[:index] for item in before.exit_checklist],
        )
        for index, rule in enumerate(rules)
    ]
    products = [
        (pid, name)
        for pid, name in session.execute(
            select(Product.id, Product.name).where(Product.active.is_(True)).order_by(Product.name)
        )
    ]
    return NewDealOptions(owners=owner_choices(session, actor), products=products, stages=stages)


# --- checks -------------------------------------------------------------------------------


def owner_for(session: Session, actor: Actor, owner_id: int | None) -> Person:
    """The person who will own the deal, under the rules of who may create for whom."""
    ensure_active(actor)
    if actor.id is None and owner_id is None:
        raise ValidationFailed(_("Owner: name the person who will own the deal."))
    wanted = owner_id if owner_id is not None else actor.id
    if actor.role == Role.REP and wanted != actor.id:
        raise PermissionDenied(_("You can only create deals for yourself."))
    owner = session.get(Person, wanted)
    if owner is None:
        raise ValidationFailed(
            _("Owner: there is no person with id {wanted}.").format(wanted=wanted)
        )
    if not owner.active:
        raise ValidationFailed(
            _("Owner: {name} is deactivated and cannot own deals.").format(name=owner.name)
        )
    if owner.role not in (Role.REP, Role.MANAGER):
        raise ValidationFailed(
            _("Owner: {name} is a {role}; choose a rep or manager.").format(
                name=owner.name, role=owner.role
            )
        )
    if owner.region_id is None:
        raise ValidationFailed(
            _(
                "Owner: {name} has no region yet; an administrator sets it on the "
                "Organisation page."
            ).format(name=owner.name)
        )
    if actor.role == Role.MANAGER and owner.id != actor.id and not in_scope(actor, owner.region_id):
        raise PermissionDenied(
            _(
                "{name} is outside the regions you manage; you can create deals for "
                "people of your own area only."
            ).format(name=owner.name)
        )
    return owner


def owner_choices(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """The people the actor may create deals for: herself for a rep; the active reps and
    managers of her area for a manager; every active rep and manager for directors and admins."""
    ensure_active(actor)
    if actor.role == Role.REP:
        return [(actor.id, actor.name)] if actor.id is not None else []
    query = (
        select(Person.id, Person.name)
        .where(
            Person.active.is_(True),
            Person.role.in_([Role.REP.value, Role.MANAGER.value]),
            Person.region_id.is_not(None),
        )
        .order_by(Person.name)
    )
    if actor.role == Role.MANAGER:
        area = sorted(actor.scope_region_ids or ())
        query = query.where((Person.region_id.in_(area)) | (Person.id == actor.id))
    return [(pid, name) for pid, name in session.execute(query)]


def _open_stages(rules: list[StageRule]) -> list[StageRule]:
    return sorted((rule for rule in rules if rule.is_open), key=lambda rule: rule.position)


def starting_stage_blockers(
    rules: list[StageRule], target: StageRule, checklist_done: list[str]
) -> list[str]:
    """What keeps a new deal from starting at `target`: each step from the first stage to it
    checked by the move rules (`core.pipeline.rules.move_blockers`), with no team yet."""
    path = [rule for rule in _open_stages(rules) if rule.position <= target.position]
    blockers: list[str] = []
    for leaving, entering in zip(path, path[1:], strict=False):
        blockers += move_blockers(rules, leaving, entering, checklist_done, [])
    return blockers


def _starting_stage(session: Session, stage_id: int | None, checklist: list[str]) -> StageRule:
    rules = stage_rules(session)
    open_stages = _open_stages(rules)
    if not open_stages:
        raise ValidationFailed(
            _("No pipeline stages are set up; an administrator adds them first.")
        )
    if stage_id is None:
        return open_stages[0]
    target = next((rule for rule in rules if rule.id == stage_id), None)
    if target is None:
        raise ValidationFailed(
            _("Stage: there is no stage with id {stage_id}.").format(stage_id=stage_id)
        )
    if not target.is_open:
        raise ValidationFailed(
            _(
                "Stage: a new deal starts at an open stage, not {name}; create it, then move it."
            ).format(name=target.name)
        )
    blockers = starting_stage_blockers(rules, target, checklist)
    if blockers:
        raise ValidationFailed(
            _(
                "Stage: a new deal cannot start at {stage} yet. {blockers}. Start it at "
                "{first} and move it on when the rules are met."
            ).format(
                stage=shown(target.name),
                blockers=listing(blockers, "; "),
                first=shown(open_stages[0].name),
            )
        )
    return target


def similar_open_deals(
    session: Session, actor: Actor, customer_id: int, product_id: int | None
) -> list[SimilarDeal]:
    """Open deals of the customer for the same product (or both without a product); a deal
    outside the actor's view gives its owner and stage only."""
    same_product = (
        Deal.product_id.is_(None) if product_id is None else Deal.product_id == product_id
    )
    visible = deals_in_view(actor)
    return [
        SimilarDeal(id=i, name=n, owner=o, stage=s, expected_close=e)
        for i, n, o, s, e in session.execute(
            select(
                Deal.id,
                case((visible, Deal.name), else_=null()),
                Person.name,
                Stage.name,
                case((visible, Deal.expected_close), else_=null()),
            )
            .join(Person, Person.id == Deal.owner_id)
            .join(Stage, Stage.id == Deal.stage_id)
            .where(
                Deal.customer_id == customer_id,
                Deal.status == DealStatus.OPEN.value,
                same_product,
            )
            .order_by(Deal.id)
            .limit(5)
        )
    ]


def _warning(customer: str, product: str | None, similar: list[SimilarDeal]) -> str:
    first = similar[0]
    parts = {
        "customer": customer,
        "product": product,
        "name": first.name,
        "owner": first.owner,
        "stage": first.stage,
    }
    if first.name is None and product:
        text = _(
            "{customer} already has an open deal for {product} ({owner}, {stage})."
            " Confirm to create another one."
        )
    elif first.name is None:
        text = _(
            "{customer} already has an open deal without a product ({owner}, "
            "{stage}). Confirm to create another one."
        )
    elif product:
        text = _(
            "{customer} already has an open deal for {product}: '{name}' "
            "({owner}, {stage}). Confirm to create another one."
        )
    else:
        text = _(
            "{customer} already has an open deal without a product: '{name}' "
            "({owner}, {stage}). Confirm to create another one."
        )
    return text.format(**parts)


# --- services -----------------------------------------------------------------------------


def _snapshot(deal: Deal) -> dict:
    return {
        "name": deal.name,
        "customer_id": deal.customer_id,
        "owner_id": deal.owner_id,
        "region_id": deal.region_id,
        "product_id": deal.product_id,
        "amount": deal.amount,
        "currency": deal.currency,
        "quantity": deal.quantity,
        "stage_id": deal.stage_id,
        "status": deal.status,
        "forecast_category": deal.forecast_category,
        "expected_close": deal.expected_close,
        "next_step": deal.next_step,
        "checklist_done": list(deal.checklist_done or []),
    }


def _insert(
    session: Session,
    actor: Actor,
    draft: DealDraft,
    *,
    confirm: bool,
    today: date,
    action: str,
    audit_extra: dict | None = None,
) -> CreationResult:
    owner = owner_for(session, actor, draft.owner_id)
    if draft.customer_id is None:
        raise ValidationFailed(_("Customer: pick a customer, or create a new one."))
    customer = session.get(Customer, draft.customer_id)
    if customer is None:
        raise ValidationFailed(
            _("Customer: there is no customer with id {customer_id}.").format(
                customer_id=draft.customer_id
            )
        )
    product = session.get(Product, draft.product_id) if draft.product_id is not None else None
    if draft.product_id is not None and (product is None or not product.active):
        raise ValidationFailed(_("Product: pick an active product from the list, or none."))
    if draft.expected_close < today:
        raise ValidationFailed(_("Expected close: the date cannot be before today."))
    if draft.next_step_due is not None and draft.next_step is None:
        raise ValidationFailed(_("Next step: give the next step its due date belongs to."))
    if draft.next_step_due is not None and draft.next_step_due < today:
        raise ValidationFailed(_("Next step due: the date cannot be before today."))
    stage = _starting_stage(session, draft.stage_id, draft.checklist_done)
    similar = similar_open_deals(session, actor, customer.id, draft.product_id)
    if similar and not confirm:
        return CreationResult(
            warning=_warning(customer.name, product.name if product else None, similar),
            similar=similar,
        )
    now = datetime.now().replace(microsecond=0)
    deal = Deal(
        name=draft.name,
        customer_id=customer.id,
        owner_id=owner.id,
        region_id=owner.region_id,
        product_id=draft.product_id,
        amount=draft.amount,
        currency=currency_code(draft.currency) if draft.currency else None,
        quantity=draft.quantity,
        stage_id=stage.id,
        status=DealStatus.OPEN.value,
        forecast_category=draft.forecast_category.value,
        created_on=today,
        expected_close=draft.expected_close,
        next_step=draft.next_step if draft.next_step_due is None else None,
        stage_entered_on=today,
        close_date_changes=0,
        checklist_done=sorted(set(draft.checklist_done)),
        updated_at=now,
        updated_by_id=actor.id,
    )
    session.add(deal)
    session.flush()
    session.add(
        DealStageHistory(
            deal_id=deal.id,
            from_stage_id=None,
            to_stage_id=stage.id,
            changed_by_id=actor.id,
            changed_at=now,
            amount=deal.amount,
            reason="created",
        )
    )
    session.flush()
    stage_stays.refresh_stays(session.connection(), [deal.id])
    if draft.next_step is not None and draft.next_step_due is not None:
        add_follow_up(
            session,
            actor,
            title=draft.next_step,
            due_on=draft.next_step_due,
            deal_id=deal.id,
            owner_id=owner.id,
            today=today,
        )
    after = {**_snapshot(deal), "next_step_due": draft.next_step_due, **(audit_extra or {})}
    if similar:
        after["confirmed_besides_open_deals"] = [d.id for d in similar]
    audit.record(session, actor, action, "deal", deal.id, after=after)
    return CreationResult(deal_id=deal.id)


def create_deal(
    session: Session,
    actor: Actor,
    draft: DealDraft,
    *,
    confirm: bool = False,
    today: date | None = None,
) -> CreationResult:
    """Create a deal under the rules above; a second open deal for the same customer and
    product comes back as a warning unless `confirm`."""
    return _insert(
        session, actor, draft, confirm=confirm, today=today or clock.today(), action="deal.create"
    )


def create_deal_for_new_customer(
    session: Session,
    actor: Actor,
    customer_name: str,
    draft: DealDraft,
    *,
    customer_confirmed: bool = False,
    today: date | None = None,
) -> CreationResult:
    """Create a customer (owned by the deal's owner, in the owner's region) and its first deal
    in one transaction. The customer goes through the archive's duplicate check
    (`core.customers.editing.create_customer`): a likely duplicate is refused with the
    candidates unless `customer_confirmed`, the same name in the same region always."""
    owner = owner_for(session, actor, draft.owner_id)
    try:
        customer = CustomerInput(name=customer_name, region_id=owner.region_id, owner_id=owner.id)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ValidationFailed(_("New customer: {problem}").format(problem=problem)) from None
    customer_id = create_customer(session, actor, customer, confirmed=customer_confirmed)
    return create_deal(
        session,
        actor,
        draft.model_copy(update={"customer_id": customer_id, "owner_id": owner.id}),
        today=today,
    )


def clone_draft(session: Session, actor: Actor, deal_id: int, *, today: date) -> DealDraft:
    """A new deal like an existing one: same customer, product, amount, quantity and forecast
    category, at the first stage. Owned by the acting rep, or by the original's owner when a
    manager, director or admin copies it. The expected close is the original's when still
    ahead, else today plus the original's planned cycle (at least 30 days)."""
    source = load_deal(session, deal_id)
    ensure_can_edit_deal(actor, source)
    cycle = max((source.expected_close - source.created_on).days, 30)
    expected = source.expected_close if source.expected_close >= today else today + timedelta(cycle)
    copy_name = f"{source.name} (copy)"
    return DealDraft(
        customer_id=source.customer_id,
        name=copy_name[:200],
        product_id=source.product_id,
        amount=source.amount,
        currency=source.currency,
        quantity=source.quantity,
        expected_close=expected,
        forecast_category=ForecastCategory.PIPELINE,
        owner_id=actor.id if actor.role == Role.REP else source.owner_id,
    )


def clone_deal(
    session: Session,
    actor: Actor,
    deal_id: int,
    *,
    confirm: bool = False,
    today: date | None = None,
) -> CreationResult:
    """Copy a deal the actor may edit into a new open deal at the first stage (see
    `clone_draft`); audited as a copy naming its original. Warns like `create_deal`."""
    today = today or clock.today()
    draft = clone_draft(session, actor, deal_id, today=today)
    return _insert(
        session,
        actor,
        draft,
        confirm=confirm,
        today=today,
        action="deal.clone",
        audit_extra={"cloned_from": deal_id},
    )


__all__ = [
    "CreationResult",
    "DealDraft",
    "NewDealOptions",
    "SimilarDeal",
    "clone_deal",
    "clone_draft",
    "create_deal",
    "create_deal_for_new_customer",
    "new_deal_options",
    "owner_choices",
    "owner_for",
    "similar_open_deals",
    "starting_stage_blockers",
]
