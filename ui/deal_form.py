"""The New deal form, used from My deals, a customer's page and the Pipeline.

The customer is found by typing part of its name (or created on the spot, checked against the
archive for duplicates as the name is typed); a manager, director or admin picks the owner. The
rules live in `core.pipeline.creation`: this form only collects the fields, shows the refusal
or the warning about a second open deal, and asks for the confirmation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal

import streamlit as st
from pydantic import ValidationError
from sqlalchemy.orm import Session

from core import clock, customers
from core.customers.archive import CustomerFilters, get_customer
from core.errors import DomainError
from core.i18n import N_, _, currency_name
from core.models import Actor, ForecastCategory, Role
from core.org.access import load_actor
from core.pipeline import creation, deal_amounts
from core.pipeline.creation import CreationResult, DealDraft, NewDealOptions
from core.pipeline.deal_amounts import CurrencyChoices
from ui import flash
from ui.data import cached, read, save
from ui.stage_names import shown

CREATION_WRITES = ("deals", "customers", "activities", "alerts")
"""A new deal changes the pipeline figures, the customer's summary and timeline, its
follow-ups (read with the activities) and the alerts."""

EXISTING, NEW = N_("Existing customer"), N_("New customer")
"""The two ways to give the customer; the values stay English, the radio shows them translated."""
LABELS = {
    "customer_id": N_("Customer"),
    "name": N_("Deal name"),
    "product_id": N_("Product"),
    "amount": N_("Amount"),
    "currency": N_("Currency"),
    "quantity": N_("Quantity"),
    "expected_close": N_("Expected close"),
    "stage_id": N_("Stage"),
    "forecast_category": N_("Forecast category"),
    "next_step": N_("Next step"),
    "next_step_due": N_("Next step due"),
    "owner_id": N_("Owner"),
}
FORECAST_NAMES = {
    ForecastCategory.COMMIT: N_("commit"),
    ForecastCategory.BEST_CASE: N_("best case"),
    ForecastCategory.PIPELINE: N_("pipeline"),
    ForecastCategory.OMITTED: N_("omitted"),
}
SHOWN_MATCHES = 50


class SecondOpenDeal(DomainError):
    """The customer already has an open deal for the product: the user is asked to confirm."""


@cached("deals", "settings", "org", ttl=300, show_spinner=False)
def form_options(person_id: int) -> NewDealOptions:
    with read() as session:
        return creation.new_deal_options(session, load_actor(session, person_id))


@cached("settings", ttl=300, show_spinner=False)
def currency_options() -> CurrencyChoices:
    """The company currency, then the currencies with exchange rates, then the other codes."""
    with read() as session:
        return deal_amounts.currency_choices(session)


def currency_label(code: str, choices: CurrencyChoices) -> str:
    """A currency as the selects show it: "EUR – Euro"; the company currency and the
    currencies without a rate say so."""
    name = currency_name(code)
    if code == choices.company:
        return _("{code} – {name} (the company currency)").format(code=code, name=name)
    if code in choices.with_rates:
        return f"{code} – {name}"
    return _("{code} – {name} (no exchange rate yet)").format(code=code, name=name)


def field_labels() -> dict[str, str]:
    """The form's field names in the current language, for refusals naming a field."""
    return {field: _(label) for field, label in LABELS.items()}


@cached("customers", "org", ttl=60, show_spinner=False)
def customer_matches(person_id: int, search: str, owner_id: int | None) -> list[tuple[int, str]]:
    """Customers whose name contains `search` (the owner's own when nothing is typed)."""
    with read() as session:
        actor = load_actor(session, person_id)
        text = search.strip()
        filters = (
            CustomerFilters(search=text)
            if text
            else CustomerFilters(owner_id=owner_id if owner_id is not None else actor.id)
        )
        frame = customers.search_customers(session, actor, filters, page_size=SHOWN_MATCHES)
    return [
        (int(row.id), f"{row.name} · {row.region}" + (f" · {row.owner}" if row.owner else ""))
        for row in frame.itertuples()
    ]


@cached("customers", "org", ttl=60, show_spinner=False)
def similar_customers(person_id: int, name: str) -> list[customers.DuplicateCandidate]:
    """Existing customers that look like a new customer's name, for the owner's region."""
    with read() as session:
        person = load_actor(session, person_id)
        return customers.find_duplicates(session, name, person.region_id)


@cached("customers", ttl=60, show_spinner=False)
def customer_name(customer_id: int) -> str:
    with read() as session:
        return get_customer(session, customer_id).name


def _use_existing(key: str, candidate_id: int, name: str) -> None:
    """Button callback: switch to the existing customer the user chose instead."""
    st.session_state[f"{key}_mode"] = EXISTING
    st.session_state[f"{key}_search"] = name
    st.session_state[f"{key}_chosen"] = candidate_id


def _pick_owner(actor: Actor, options: NewDealOptions, key: str) -> int | None:
    if actor.role == Role.REP or len(options.owners) <= 1:
        return actor.id
    ids = [pid for pid, _ in options.owners]
    names = dict(options.owners)
    return st.selectbox(
        _("Owner *"),
        ids,
        index=ids.index(actor.id) if actor.id in ids else None,
        format_func=lambda pid: names.get(pid, "?"),
        placeholder=_("Pick the rep who will own the deal"),
        key=f"{key}_owner",
        help=_("You can create deals for the people of your own area."),
    )


def _pick_customer(
    actor: Actor, key: str, owner_id: int | None
) -> tuple[int | None, str | None, bool]:
    """(existing customer id, new customer's name, confirmed it is not a duplicate)."""
    mode = st.radio(
        _("Customer *"), [EXISTING, NEW], format_func=_, horizontal=True, key=f"{key}_mode"
    )
    if mode == NEW:
        name = st.text_input(
            _("New customer's name *"),
            key=f"{key}_new_customer",
            placeholder=_("The company's name as it writes it"),
        )
        confirmed = False
        if name.strip() and owner_id is not None:
            candidates = similar_customers(owner_id, name.strip())
            if any(c.blocking for c in candidates):
                st.error(
                    _(
                        "This customer already exists in the owner's region; use it instead of "
                        "creating it again."
                    )
                )
            elif candidates:
                st.warning(_("This looks like a customer we already have."))
            for candidate in candidates[:3]:
                st.button(
                    _("Use {name} ({region})").format(name=candidate.name, region=candidate.region),
                    key=f"{key}_use_{candidate.id}",
                    on_click=_use_existing,
                    args=(key, candidate.id, candidate.name),
                    width="stretch",
                )
            if candidates and not any(c.blocking for c in candidates):
                confirmed = st.checkbox(
                    _("It is a different customer: create it"), key=f"{key}_different"
                )
        return None, name, confirmed
    search = st.text_input(
        _("Find the customer"),
        key=f"{key}_search",
        placeholder=_("🔎 Type part of the customer's name"),
    )
    matches = customer_matches(actor.id, search, owner_id)
    if not matches and not search.strip():
        st.caption(_("Type part of the customer's name to find it, or choose New customer."))
        return None, None, False
    if not matches:
        st.info(
            _(
                "No customer matches. Type another part of the name, or choose New customer to "
                "create it."
            )
        )
        return None, None, False
    ids = [cid for cid, _ in matches]
    labels = dict(matches)
    chosen = st.session_state.get(f"{key}_chosen")
    picked = st.selectbox(
        _("Customer"),
        ids,
        index=ids.index(chosen) if chosen in ids else 0,
        format_func=lambda cid: labels.get(cid, "?"),
        key=f"{key}_customer",
        label_visibility="collapsed",
    )
    if len(matches) == SHOWN_MATCHES:
        st.caption(
            _("The first {n} matches; type more of the name to narrow them.").format(
                n=SHOWN_MATCHES
            )
        )
    return picked, None, False


def _decimal(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


def save_new_deal(
    create: Callable[[Session], CreationResult],
    done: str,
    *,
    pending_key: str,
    pending: Callable[[str], object],
    forget: Sequence[str],
    on_created: Callable[[int], None] | None,
    labels: dict[str, str] | None = None,
) -> None:
    """Save a new deal or a copy (one transaction, `create`). When the customer already has an
    open deal for the product, nothing is saved: `pending(warning)` is kept under `pending_key`
    and the page reruns to ask for the confirmation. Once saved, `on_created` gets the new
    deal's id and the confirmation `done` shows."""

    def action(session: Session) -> CreationResult:
        result = create(session)
        if result.warning:
            raise SecondOpenDeal(result.warning)
        return result

    def opened(result: CreationResult | None) -> None:
        if on_created is not None and result is not None and result.deal_id is not None:
            on_created(result.deal_id)

    try:
        save(
            action,
            done,
            affects=CREATION_WRITES,
            labels=labels,
            forget=forget,
            after=opened,
            keep_raising=(SecondOpenDeal,),
        )
    except SecondOpenDeal as warning:
        st.session_state[pending_key] = pending(str(warning))
        st.rerun()


def _create(
    actor: Actor,
    draft: DealDraft,
    *,
    new_customer: str | None,
    customer_confirmed: bool,
    confirm: bool,
    key: str,
    on_created: Callable[[int], None] | None,
) -> None:
    """Save the deal (one transaction); a second open deal waits for the user's confirmation."""

    def create(session: Session) -> CreationResult:
        acting = load_actor(session, actor.id)
        if new_customer is not None:
            return creation.create_deal_for_new_customer(
                session, acting, new_customer, draft, customer_confirmed=customer_confirmed
            )
        return creation.create_deal(session, acting, draft, confirm=confirm)

    save_new_deal(
        create,
        _("The deal {name} is created.").format(name=draft.name),
        pending_key=f"{key}_pending",
        pending=lambda warning: (draft, warning),
        forget=[f"{key}_pending", *_form_keys(key)],
        on_created=on_created,
        labels=field_labels(),
    )


def _form_keys(key: str) -> list[str]:
    fields = (
        "name",
        "product",
        "amount",
        "currency",
        "quantity",
        "close",
        "stage",
        "items",
        "category",
    )
    return [f"{key}_{f}" for f in (*fields, "next", "due", "new_customer", "different", "chosen")]


def new_deal_form(
    actor: Actor,
    *,
    key: str,
    customer_id: int | None = None,
    on_created: Callable[[int], None] | None = None,
) -> None:
    """The whole form. `customer_id` fixes the customer (a customer's page); `on_created`
    gets the new deal's id (e.g. to open it)."""
    try:
        options = form_options(actor.id)
    except DomainError as exc:
        st.error(str(exc))
        return
    if not options.stages:
        st.info(_("No pipeline stages are set up yet; an administrator adds them first."))
        return
    if not options.owners:
        st.info(_("There is nobody you can create a deal for."))
        return
    owner_id = _pick_owner(actor, options, key)
    if customer_id is None:
        existing_id, new_customer, customer_confirmed = _pick_customer(actor, key, owner_id)
    else:
        existing_id, new_customer, customer_confirmed = customer_id, None, False
        st.markdown(_("**Customer:** {name}").format(name=customer_name(customer_id)))
    pending = st.session_state.get(f"{key}_pending")
    if pending:
        draft, message = pending
        st.warning(message)
        yes, no = st.columns(2)
        if yes.button(
            _("Create another one"), key=f"{key}_confirm", type="primary", width="stretch"
        ):
            _create(
                actor,
                draft,
                new_customer=None,
                customer_confirmed=False,
                confirm=True,
                key=key,
                on_created=on_created,
            )
        if no.button(_("Cancel"), key=f"{key}_cancel", width="stretch"):
            st.session_state.pop(f"{key}_pending", None)
            st.rerun()
        return
    products = [None, *[pid for pid, _ in options.products]]
    product_names = dict(options.products)
    stage_ids = [s.id for s in options.stages]
    stage_names = {s.id: s.name for s in options.stages}
    earlier_items = options.stages[-1].earlier_items
    categories = list(ForecastCategory)
    currencies = currency_options()
    with st.form(f"{key}_form", border=False):
        name = st.text_input(_("Deal name *"), max_chars=200, key=f"{key}_name")
        product = st.selectbox(
            _("Product"),
            products,
            format_func=lambda pid: _("No product") if pid is None else product_names.get(pid, "?"),
            key=f"{key}_product",
        )
        money_col, currency_col, quantity_col = st.columns([2, 2, 1])
        amount = money_col.number_input(
            _("Amount *"), min_value=0.0, value=0.0, step=1000.0, key=f"{key}_amount"
        )
        code = currency_col.selectbox(
            _("Currency *"),
            currencies.codes,
            format_func=lambda c: currency_label(c, currencies),
            key=f"{key}_currency",
            help=_(
                "The currency of the amount; figures convert it to the company currency at "
                "the rate in effect. Type a code to find it."
            ),
        )
        quantity = quantity_col.number_input(
            _("Quantity *"), min_value=1, value=1, step=1, key=f"{key}_quantity"
        )
        close = st.date_input(
            _("Expected close *"),
            value=clock.today() + timedelta(days=60),
            min_value=clock.today(),
            key=f"{key}_close",
        )
        stage_id = st.selectbox(
            _("Stage"),
            stage_ids,
            format_func=lambda sid: shown(stage_names.get(sid, "?")),
            key=f"{key}_stage",
            help=_(
                "A new deal starts at the first stage. A later stage needs the exit items of "
                "the stages before it done, and no stage that needs a deal-team role."
            ),
        )
        items = []
        if earlier_items:
            items = st.multiselect(
                _("Exit items already done (only to start at a later stage)"),
                earlier_items,
                format_func=shown,
                placeholder=_("Choose options"),
                key=f"{key}_items",
            )
        category = st.selectbox(
            _("Forecast category"),
            categories,
            index=categories.index(ForecastCategory.PIPELINE),
            format_func=lambda c: _(FORECAST_NAMES[c]),
            key=f"{key}_category",
        )
        next_step = st.text_input(_("Next step"), max_chars=200, key=f"{key}_next")
        due = st.date_input(
            _("Next step due"), value=None, min_value=clock.today(), key=f"{key}_due"
        )
        submitted = st.form_submit_button(_("Create deal"), type="primary", width="stretch")
    if not submitted:
        return
    if existing_id is None and not (new_customer or "").strip():
        st.error(
            _("Pick the customer, or choose New customer and give its name; nothing was saved.")
        )
        return
    try:
        draft = DealDraft(
            customer_id=existing_id,
            name=name,
            product_id=product,
            amount=_decimal(amount),
            currency=code,
            quantity=int(quantity),
            expected_close=close,
            stage_id=stage_id,
            forecast_category=category,
            next_step=next_step,
            next_step_due=due,
            owner_id=owner_id,
            checklist_done=list(items),
        )
    except ValidationError as exc:
        st.error(flash.error_message(exc, field_labels()))
        return
    _create(
        actor,
        draft,
        new_customer=new_customer.strip() if new_customer else None,
        customer_confirmed=customer_confirmed,
        confirm=False,
        key=key,
        on_created=on_created,
    )


def open_created_deal(open_key: str, view: Callable[[int], str]) -> Callable[[int], None]:
    """An `on_created` that opens the new deal on the page (its confirmation shows there)."""

    def opened(deal_id: int) -> None:
        st.session_state[open_key] = deal_id
        st.session_state[flash.VIEW_KEY] = view(deal_id)

    return opened
