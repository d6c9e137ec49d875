"""Customers: the company's shared archive. Find, open, create and edit customers; managers
hand customers over and merge duplicates."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from core import clock, customers
from core.customers.archive import SORTS, CustomerDetail, CustomerFilters
from core.customers.duplicates import LikelyDuplicate
from core.customers.editing import ContactInput, CustomerInput, CustomerUpdate
from core.errors import DomainError
from core.i18n import N_, _, ngettext, number
from core.models import CustomerStatus, Role
from core.org.access import in_scope, load_actor
from ui.activity_form import add_follow_up_form, quick_add_activity
from ui.auth import current_actor
from ui.customer_views import duplicates_table, field_labels, input_errors, timeline_table
from ui.data import cached, read, save
from ui.deal_form import new_deal_form
from ui.deal_view import company_code
from ui.downloads import download_buttons
from ui.flash import show_flash
from ui.format import as_text, day, money, percent
from ui.links import open_record

OPEN_KEY = "customer_open"
EXPORT_LIMIT = 50_000
STATUSES = [s.value for s in CustomerStatus]
STATUS_NAMES = {
    CustomerStatus.PROSPECT.value: N_("prospect"),
    CustomerStatus.ACTIVE.value: N_("active"),
    CustomerStatus.DORMANT.value: N_("dormant"),
}
SORT_NAMES = {
    "name": N_("Name"),
    "owner": N_("Owner"),
    "region": N_("Region"),
    "industry": N_("Industry"),
    "status": N_("Status"),
    "potential": N_("Potential"),
    "last_activity": N_("Last activity"),
    "created": N_("Created"),
}  # the sort keys of the archive as the sort select shows them
ONE_PERSON, PICKED = "one_person", "picked"
HAND_OVER_MODES = {
    ONE_PERSON: N_("All customers of one person"),
    PICKED: N_("Customers I pick from this page"),
}


@cached("customers", "org")
def options() -> dict[str, list]:
    with read() as session:
        return customers.filter_options(session)


@cached("customers", "deals", "activities", "org")
def customer_page(
    person_id: int, filters_json: str, page: int, page_size: int, today: date
) -> tuple[pd.DataFrame, int]:
    filters = CustomerFilters.model_validate_json(filters_json)
    with read() as session:
        actor = load_actor(session, person_id)
        total = customers.count_customers(session, actor, filters, today=today)
        rows = customers.search_customers(
            session, actor, filters, page=page, page_size=page_size, today=today
        )
        return rows, total


@cached("customers", "deals", "activities", "org", show_spinner=_("Preparing the download…"))
def customer_export(person_id: int, filters_json: str, today: date) -> pd.DataFrame:
    filters = CustomerFilters.model_validate_json(filters_json)
    with read() as session:
        actor = load_actor(session, person_id)
        return customers.export_customers(session, actor, filters, limit=EXPORT_LIMIT, today=today)


@cached("customers", "deals", "activities", "org")
def customer_view(person_id: int, customer_id: int) -> tuple[CustomerDetail, pd.DataFrame]:
    with read() as session:
        actor = load_actor(session, person_id)
        detail = customers.customer_detail(session, actor, customer_id)
        return detail, customers.customer_timeline(session, actor, customer_id)


@cached("customers")
def possible_duplicates(customer_id: int, name: str, region_id: int) -> list:
    with read() as session:
        return customers.find_duplicates(session, name, region_id, exclude_id=customer_id)


def open_customer(customer_id: int | None) -> None:
    st.session_state[OPEN_KEY] = customer_id
    for key in ("pending_create", "pending_edit"):
        st.session_state.pop(key, None)


def save_customer(action, *args, done, affects=("customers",), after=None, **kwargs) -> None:
    """Save one change to the archive and report it (see ui.data.save). A likely duplicate is
    re-raised for the caller to ask about."""
    save(
        lambda session: action(session, actor, *args, **kwargs),
        done,
        affects=affects,
        labels=field_labels(),
        after=after,
        keep_raising=(LikelyDuplicate,),
    )


# --- the list -----------------------------------------------------------------------------


def region_label(region_id: int | None) -> str:
    return _("All regions") if region_id is None else REGIONS.get(region_id, str(region_id))


def owner_label(person_id: int | None) -> str:
    return _("Anyone") if person_id is None else OWNERS.get(person_id, str(person_id))


def status_label(status: str | None) -> str:
    return _("Any") if status is None else _(STATUS_NAMES.get(status, status))


def list_filters() -> CustomerFilters:
    search = st.text_input(
        _("Search by name"),
        key="cust_search",
        placeholder=_("Part of the name: case, accents and Ltd/GmbH do not matter"),
    )
    with st.expander(_("Filters and sorting"), expanded=False):
        a, b, c = st.columns(3)
        region_id = a.selectbox(
            _("Region (with its teams)"),
            [None, *REGIONS],
            format_func=region_label,
            key="cust_region",
        )
        owner_id = b.selectbox(
            _("Owner"), [None, *OWNERS], format_func=owner_label, key="cust_owner"
        )
        status = c.selectbox(_("Status"), [None, *STATUSES], format_func=status_label)
        d, e, f = st.columns(3)
        industry = d.selectbox(_("Industry"), [None, *OPTIONS["industries"]], format_func=any_label)
        segment = e.selectbox(_("Segment"), [None, *OPTIONS["segments"]], format_func=any_label)
        inactive = f.number_input(
            _("No activity for at least N days (0 = off)"),
            min_value=0,
            max_value=3650,
            step=30,
            key="cust_inactive",
        )
        g, h, __ = st.columns(3)
        sort = g.selectbox(
            _("Sort by"),
            list(SORTS),
            format_func=lambda k: _(SORT_NAMES.get(k, SORTS[k])),
            key="cust_sort",
        )
        descending = h.toggle(_("Descending"), key="cust_desc")
    return CustomerFilters(
        search=search,
        region_id=region_id,
        owner_id=owner_id,
        status=status,
        industry=industry,
        segment=segment,
        inactive_days=inactive or None,
        sort=sort,
        descending=descending,
    )


def any_label(value: str | None) -> str:
    return value or _("Any")


def show_list() -> None:
    filters = list_filters()
    filters_json = filters.model_dump_json()
    if st.session_state.get("cust_filters_seen") != filters_json:
        st.session_state["cust_filters_seen"] = filters_json
        st.session_state["cust_page"] = 1  # new filters start at the first page
    size_col, page_col, count_col = st.columns([1, 1, 2])
    page_size = size_col.selectbox(_("Rows per page"), [25, 50, 100], index=1, key="cust_size")
    page = int(st.session_state.get("cust_page", 1))
    rows, total = customer_page(actor.id, filters_json, page, page_size, clock.today())
    pages = max(1, -(-total // page_size))
    if page > pages:  # fewer rows per page or fewer matches: stay on the last page
        page = st.session_state["cust_page"] = pages
        rows, total = customer_page(actor.id, filters_json, page, page_size, clock.today())
    page_col.number_input(_("Page"), min_value=1, max_value=pages, key="cust_page")
    count_col.metric(
        _("Matching customers"),
        number(total),
        help=_("Page {page} of {pages}").format(page=page, pages=number(pages)),
    )

    if rows.empty:
        st.info(
            _(
                "No customer matches. Shorten the search or clear a filter; if the customer is "
                "really new, create it under **New customer** below."
            )
        )
    else:
        shown = rows.drop(columns=["id"]).assign(
            last_activity=as_text(rows["last_activity"], day),
            status=[_(STATUS_NAMES.get(s, s)) if isinstance(s, str) else s for s in rows["status"]],
        )
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            column_config={
                "name": _("Customer"),
                "region": _("Region"),
                "owner": _("Owner"),
                "industry": _("Industry"),
                "segment": _("Segment"),
                "status": _("Status"),
                "potential": st.column_config.NumberColumn(
                    _("Annual potential"), format="localized"
                ),
                "last_activity": _("Last activity"),
                "created": st.column_config.DateColumn(_("Created")),
            },
        )
        names = {int(i): n for i, n in zip(rows["id"], rows["name"], strict=True)}
        pick, go = st.columns([3, 1], vertical_alignment="bottom")
        chosen = pick.selectbox(
            _("Open a customer from this page"),
            list(names),
            format_func=names.get,
            key="cust_pick",
        )
        if go.button(_("Open customer"), key="cust_open", type="primary"):
            open_customer(int(chosen))
            st.rerun()
        if st.toggle(
            _("Download the matching customers ({total})").format(total=number(total)),
            key="cust_download",
        ):
            export = customer_export(actor.id, filters_json, clock.today())
            if total > EXPORT_LIMIT:
                st.warning(
                    _(
                        "The download holds the first {limit} of {total} customers in this "
                        "order; narrow the filters to get the rest."
                    ).format(limit=number(EXPORT_LIMIT), total=number(total))
                )
            download_buttons(export, "customers", key="customers_download")

    new_customer_form()
    if customers.can_reassign(actor):
        hand_over_form(rows)


def show_duplicates(candidates) -> None:
    st.dataframe(duplicates_table(candidates), hide_index=True, width="stretch")


def new_customer_form() -> None:
    with st.expander(_("➕ New customer"), expanded="pending_create" in st.session_state):
        my_regions = [r for r in REGIONS if in_scope(actor, r)]
        if not my_regions:
            st.info(_("You have no region of your own, so you cannot create customers."))
            return
        owners = [p for p in OWNERS if in_scope(actor, OWNER_REGION.get(p))]
        with st.form("new_customer"):
            name = st.text_input(_("Name *"), key="new_name")
            a, b = st.columns(2)
            default_region = actor.region_id if actor.region_id in my_regions else my_regions[0]
            region_id = a.selectbox(
                _("Region *"),
                my_regions,
                index=my_regions.index(default_region),
                format_func=region_label,
                key="new_region",
            )
            if actor.role == Role.REP or not owners:
                owner_id = actor.id
                b.text_input(_("Owner"), actor.name, disabled=True)
            else:
                owner_id = b.selectbox(_("Owner"), owners, format_func=owner_label, key="new_owner")
            c, d, e = st.columns(3)
            industry = c.text_input(_("Industry"), key="new_industry")
            segment = d.selectbox(
                _("Segment"),
                ["", *OPTIONS["segments"]],
                format_func=lambda v: v or "–",
                key="new_segment",
            )
            status = e.selectbox(_("Status"), STATUSES, format_func=status_label, key="new_status")
            potential = st.number_input(
                _("Annual potential"), value=0, step=1000, key="new_potential"
            )
            submitted = st.form_submit_button(_("Create customer"), type="primary")
        if submitted:
            try:
                data = CustomerInput(
                    name=name,
                    region_id=region_id,
                    owner_id=owner_id,
                    industry=industry,
                    segment=segment,
                    status=status,
                    annual_potential=potential,
                )
            except ValidationError as exc:
                st.error(input_errors(exc))
                return
            create(data, confirmed=False)
        if pending := st.session_state.get("pending_create"):
            data, candidates, blocking = pending
            st.warning(
                _("**{name}** looks like a customer we already have:").format(name=data.name)
            )
            show_duplicates(candidates)
            st.caption(_("Open the existing customer instead:"))
            for col, cand in zip(st.columns(3), candidates[:3], strict=False):
                if col.button(
                    _("Open {name} ({region})").format(name=cand.name, region=cand.region),
                    key=f"dup_open_{cand.id}",
                    width="stretch",
                ):
                    open_customer(cand.id)
                    st.rerun()
            confirm_col, cancel_col, __ = st.columns([2, 1, 1])
            if not blocking and confirm_col.button(
                _("It is a different customer: create it"), key="dup_confirm", type="primary"
            ):
                create(data, confirmed=True)
            if cancel_col.button(_("Cancel"), key="dup_cancel"):
                st.session_state.pop("pending_create", None)
                st.rerun()


def create(data: CustomerInput, *, confirmed: bool) -> None:
    try:
        save_customer(
            customers.create_customer,
            data,
            confirmed=confirmed,
            done=_("{name} created.").format(name=data.name),
            after=open_customer,
        )
    except LikelyDuplicate as exc:
        st.session_state["pending_create"] = (data, exc.candidates, exc.blocking)
        st.rerun()


def hand_over_form(rows: pd.DataFrame) -> None:
    with st.expander(_("🔁 Hand over customers (managers and directors)")):
        people = [p for p in OWNERS if in_scope(actor, OWNER_REGION.get(p))]
        active = [p for p in people if OWNER_ACTIVE.get(p)]
        which = st.radio(
            _("Which customers"),
            list(HAND_OVER_MODES),
            format_func=lambda mode: _(HAND_OVER_MODES[mode]),
            horizontal=True,
            key="handover_mode",
        )
        with st.form("hand_over"):
            if which == ONE_PERSON:
                former = st.selectbox(
                    _("From (e.g. a rep who leaves)"),
                    people,
                    index=None,
                    placeholder=_("Choose whose customers to hand over"),
                    format_func=owner_label,
                    key="ho_from",
                )
                picked = []
            else:
                former = None
                names = {int(i): n for i, n in zip(rows["id"], rows["name"], strict=True)}
                picked = st.multiselect(
                    _("Customers"),
                    list(names),
                    format_func=names.get,
                    placeholder=_("Choose options"),
                    key="ho_pick",
                )
            to = st.selectbox(
                _("To"),
                active,
                index=None,
                placeholder=_("Choose who takes them over"),
                format_func=owner_label,
                key="ho_to",
            )
            with_deals = st.checkbox(_("Move their open deals too"), value=True, key="ho_deals")
            reason = st.text_input(_("Reason (goes to the audit log)"), key="ho_reason")
            go = st.form_submit_button(_("Hand over"), type="primary")
        if go and (to is None or (which == ONE_PERSON and former is None)):
            st.error(_("Choose who hands over and who takes over; nothing was changed."))
        elif go:
            action, which_ones = (
                (customers.reassign_book, former)
                if former is not None
                else (customers.reassign_customers, [int(i) for i in picked])
            )
            save_customer(
                action,
                which_ones,
                to,
                with_open_deals=with_deals,
                reason=reason or None,
                done=lambda result: _(
                    "{customers} customers and {deals} open deals handed over to {person}."
                ).format(customers=result.customers, deals=result.deals, person=owner_label(to)),
                affects=("customers", "deals"),
            )


# --- one customer -------------------------------------------------------------------------


def show_customer(customer_id: int) -> None:
    if st.button(_("← Back to the customer list"), key="cust_back"):
        open_customer(None)
        st.rerun()
    try:
        detail, timeline = customer_view(actor.id, customer_id)
    except DomainError as exc:
        st.error(str(exc))
        open_customer(None)
        return
    st.subheader(detail.name)
    st.caption(
        " · ".join(
            part
            for part in (
                _("Region: {region}").format(region=detail.region),
                _("Owner: {owner}").format(owner=detail.owner)
                if detail.owner
                else _("Owner: nobody"),
                _("Status: {status}").format(status=status_label(detail.status)),
                detail.industry,
                detail.segment,
                _("Id {id}").format(id=detail.external_id) if detail.external_id else None,
            )
            if part
        )
    )
    s = detail.summary
    if s.deals_not_shown:
        st.caption(
            ngettext(
                "Won to date and open pipeline cover the deals you may see; {n} deal of "
                "colleagues is shown without amounts.",
                "Won to date and open pipeline cover the deals you may see; {n} deals of "
                "colleagues are shown without amounts.",
                s.deals_not_shown,
            ).format(n=s.deals_not_shown)
        )
    won, pipeline, last, rate, potential = st.columns(5)
    company = company_code()
    won.metric(
        _("Won to date"),
        money(s.won_to_date),
        help=ngettext(
            "In {company}, of {n} deal won; a deal in a currency without an exchange rate on "
            "its close date is left out.",
            "In {company}, of {n} deals won; a deal in a currency without an exchange rate on "
            "its close date is left out.",
            s.won_deals,
        ).format(company=company, n=s.won_deals),
    )
    pipeline.metric(
        _("Open pipeline"),
        money(s.open_pipeline),
        help=ngettext(
            "In {company}, of {n} open deal; a deal in a currency without an exchange rate "
            "is left out.",
            "In {company}, of {n} open deals; a deal in a currency without an exchange rate "
            "is left out.",
            s.open_deals,
        ).format(company=company, n=s.open_deals),
    )
    last.metric(_("Last contact"), s.last_contact.isoformat() if s.last_contact else _("never"))
    rate.metric(
        _("Win rate"),
        percent(s.win_rate),
        help=_("{won} won of {closed}").format(won=s.won_deals, closed=s.won_deals + s.lost_deals),
    )
    potential.metric(_("Annual potential"), money(detail.annual_potential))

    tabs = [_("Timeline"), _("Contacts"), _("Profile")]
    if detail.can_reassign:
        tabs.append(_("Owner and duplicates"))
    tab = st.tabs(tabs)
    with tab[0]:
        with st.expander(_("➕ New deal for this customer")):
            new_deal_form(actor, key=f"customer_{detail.id}_deal", customer_id=detail.id)
        if detail.can_log_activity:
            with st.expander(_("📝 Log a visit, call, meeting, demo or email")):
                quick_add_activity(actor, detail.id, key=f"customer_{detail.id}_activity")
            add_follow_up_form(actor, detail.id, key=f"customer_{detail.id}_follow_up")
        show_timeline(detail, timeline)
    with tab[1]:
        show_contacts(detail)
    with tab[2]:
        edit_profile(detail)
    if detail.can_reassign:
        with tab[3]:
            owner_and_merge(detail)


def show_timeline(detail: CustomerDetail, timeline: pd.DataFrame) -> None:
    if timeline.empty:
        st.info(_("Nothing has happened with this customer yet: no deals, activities or changes."))
        return
    company = company_code()
    table = timeline_table(timeline, company)
    codes = set(timeline["currency"].dropna())
    one_currency = codes <= {company}  # one amount per deal, no "100 USD = 100 USD"
    shown = table.drop(columns=["currency", "company_amount"]) if one_currency else table
    money_first = ["when", "kind", "amount", "currency", "company_amount"]  # in view on a phone
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_order=[
            *(c for c in money_first if c in shown),
            *(c for c in shown if c not in money_first),
        ],
        column_config={
            "when": _("When"),
            "kind": _("Kind"),
            "what": st.column_config.TextColumn(_("What"), width="large"),
            "amount": st.column_config.TextColumn(
                _("Amount ({currency})").format(currency=company) if one_currency else _("Amount"),
                alignment="right",
                help=_("In the deal's own currency"),
            ),
            "currency": st.column_config.TextColumn(_("Currency")),
            "company_amount": st.column_config.TextColumn(
                _("In {currency}").format(currency=company),
                width=220 if timeline["not_priced"].any() else None,  # room for the reason
                alignment="right",
                help=_(
                    "The deal's amount in the company currency at the rate in effect: on the "
                    "close date for a won or lost deal, today for an open one"
                ),
            ),
            "who": _("Who"),
        },
    )
    download_buttons(table, f"customer-{detail.id}-timeline", key="timeline_download")


def contact_form(key: str, contact=None) -> ContactInput | None:
    """The contact fields; returns validated input when submitted, None otherwise."""
    with st.form(key, clear_on_submit=contact is None):
        a, b = st.columns(2)
        name = a.text_input(_("Name *"), contact.name if contact else "", key=f"{key}_name")
        title = b.text_input(
            _("Title"), (contact.title or "") if contact else "", key=f"{key}_title"
        )
        c, d = st.columns(2)
        email = c.text_input(
            _("Email"), (contact.email or "") if contact else "", key=f"{key}_email"
        )
        phone = d.text_input(
            _("Phone"), (contact.phone or "") if contact else "", key=f"{key}_phone"
        )
        primary = st.checkbox(
            _("Primary contact"), contact.is_primary if contact else False, key=f"{key}_primary"
        )
        label = _("Save contact") if contact else _("Add contact")
        if not st.form_submit_button(label, type="primary"):
            return None
    try:
        return ContactInput(name=name, title=title, email=email, phone=phone, is_primary=primary)
    except ValidationError as exc:
        st.error(input_errors(exc))
        return None


def show_contacts(detail: CustomerDetail) -> None:
    if detail.contacts:
        frame = pd.DataFrame([c.model_dump() for c in detail.contacts]).drop(columns=["id"])
        st.dataframe(
            frame,
            hide_index=True,
            width="stretch",
            column_config={
                "name": _("Name"),
                "title": _("Title"),
                "email": _("Email"),
                "phone": _("Phone"),
                "is_primary": st.column_config.CheckboxColumn(_("Primary")),
            },
        )
    elif detail.can_edit:
        st.info(_("No contacts yet. Add the first one below."))
    else:
        st.info(_("No contacts yet."))
    if not detail.can_edit:
        st.caption(
            _("Only the owner, a manager of its region or a director can change this customer.")
        )
        return
    st.markdown(_("**Add a contact**"))
    if (data := contact_form("add_contact")) is not None:
        save_customer(
            customers.add_contact,
            detail.id,
            data,
            done=_("Contact {name} added.").format(name=data.name),
        )
    if detail.contacts:
        st.markdown(_("**Change or remove a contact**"))
        by_id = {c.id: c for c in detail.contacts}
        chosen = st.selectbox(
            _("Contact"), list(by_id), format_func=lambda i: by_id[i].name, key="edit_contact_pick"
        )
        contact = by_id[chosen]
        if (data := contact_form(f"edit_contact_{chosen}", contact)) is not None:
            save_customer(
                customers.update_contact,
                chosen,
                data,
                done=_("Contact {name} saved.").format(name=data.name),
            )
        if st.button(_("Remove {name}").format(name=contact.name), key=f"remove_contact_{chosen}"):
            save_customer(
                customers.remove_contact,
                chosen,
                done=_("Contact {name} removed.").format(name=contact.name),
            )


def edit_profile(detail: CustomerDetail) -> None:
    if not detail.can_edit:
        st.info(
            _(
                "You can see this customer but not change it: reps change their own customers, "
                "managers those in their regions."
            )
        )
        return
    my_regions = [r for r in REGIONS if in_scope(actor, r)] or [detail.region_id]
    if detail.region_id not in my_regions:
        my_regions.insert(0, detail.region_id)
    with st.form("edit_customer"):
        name = st.text_input(_("Name *"), detail.name, key="edit_name")
        a, b = st.columns(2)
        region_id = a.selectbox(
            _("Region *"),
            my_regions,
            index=my_regions.index(detail.region_id),
            format_func=region_label,
            key="edit_region",
        )
        status = b.selectbox(
            _("Status"),
            STATUSES,
            index=STATUSES.index(detail.status),
            format_func=status_label,
            key="edit_status",
        )
        c, d, e = st.columns(3)
        industry = c.text_input(_("Industry"), detail.industry or "", key="edit_industry")
        segment = d.text_input(_("Segment"), detail.segment or "", key="edit_segment")
        potential = e.number_input(
            _("Annual potential"),
            value=int(detail.annual_potential),
            step=1000,
            key="edit_potential",
        )
        submitted = st.form_submit_button(_("Save profile"), type="primary")
    if submitted:
        try:
            data = CustomerUpdate(
                name=name,
                region_id=region_id,
                status=status,
                industry=industry,
                segment=segment,
                annual_potential=potential,
            )
        except ValidationError as exc:
            st.error(input_errors(exc))
            return
        update(detail.id, data, confirmed=False)
    if pending := st.session_state.get("pending_edit"):
        data, candidates, blocking = pending
        st.warning(_("The new name or region looks like a customer we already have:"))
        show_duplicates(candidates)
        if not blocking and st.button(_("It is a different customer: save"), key="edit_confirm"):
            update(detail.id, data, confirmed=True)
        if st.button(_("Cancel the change"), key="edit_cancel"):
            st.session_state.pop("pending_edit", None)
            st.rerun()


def update(customer_id: int, data: CustomerUpdate, *, confirmed: bool) -> None:
    try:
        save_customer(
            customers.update_customer,
            customer_id,
            data,
            confirmed=confirmed,
            done=_("Saved."),
            after=lambda __: st.session_state.pop("pending_edit", None),
        )
    except LikelyDuplicate as exc:
        st.session_state["pending_edit"] = (data, exc.candidates, exc.blocking)
        st.rerun()


def owner_and_merge(detail: CustomerDetail) -> None:
    st.markdown(_("**Hand this customer to someone else**"))
    people = [p for p in OWNERS if OWNER_ACTIVE.get(p) and in_scope(actor, OWNER_REGION.get(p))]
    with st.form("reassign_one"):
        to = st.selectbox(
            _("New owner"),
            [p for p in people if p != detail.owner_id],
            index=None,
            placeholder=_("Choose who takes this customer over"),
            format_func=owner_label,
            key="one_to",
        )
        with_deals = st.checkbox(_("Move the open deals of the current owner too"), value=True)
        reason = st.text_input(_("Reason (goes to the audit log)"), key="one_reason")
        go = st.form_submit_button(_("Hand over"))
    if go and to is None:
        st.error(_("Choose the new owner; nothing was changed."))
    elif go:
        save_customer(
            customers.reassign_customers,
            [detail.id],
            to,
            with_open_deals=with_deals,
            reason=reason or None,
            done=lambda result: ngettext(
                "{customer} handed to {person} with {n} open deal.",
                "{customer} handed to {person} with {n} open deals.",
                result.deals,
            ).format(customer=detail.name, person=owner_label(to), n=result.deals),
            affects=("customers", "deals"),
        )

    st.markdown(_("**Merge a duplicate into this customer**"))
    suggestions = possible_duplicates(detail.id, detail.name, detail.region_id)
    if suggestions:
        st.caption(_("Likely duplicates of this customer:"))
        show_duplicates(suggestions)
    query = st.text_input(_("Find the duplicate by name"), key="merge_search")
    found: dict[int, str] = {c.id: f"{c.name} ({c.region})" for c in suggestions}
    if query.strip():
        rows, __ = customer_page(
            actor.id, CustomerFilters(search=query).model_dump_json(), 1, 20, clock.today()
        )
        found.update({int(r.id): f"{r.name} ({r.region}, {r.owner})" for r in rows.itertuples()})
    found.pop(detail.id, None)
    if not found:
        st.caption(_("Search for the duplicate by name to merge it here."))
        return
    duplicate = st.selectbox(
        _("Duplicate to merge in"), list(found), format_func=found.get, key="merge_pick"
    )
    sure = st.checkbox(
        _(
            "Move all contacts, deals and activities of {duplicate} to {customer} and delete "
            "the duplicate"
        ).format(duplicate=found[duplicate], customer=detail.name),
        key="merge_sure",
    )
    if st.button(_("Merge"), key="merge_go", disabled=not sure, type="primary"):
        save_customer(
            customers.merge_customers,
            detail.id,
            duplicate,
            done=lambda result: _(
                "Merged: {contacts} contacts, {deals} deals and {activities} activities moved "
                "to {customer}."
            ).format(
                contacts=result.contacts,
                deals=result.deals,
                activities=result.activities,
                customer=detail.name,
            ),
            affects=("customers", "deals", "activities"),
        )


# --- the storyboard -----------------------------------------------------------------------

actor = current_actor()
OPTIONS = options()
REGIONS: dict[int, str] = dict(OPTIONS["regions"])
OWNERS: dict[int, str] = {
    pid: name if active else _("{name} (inactive)").format(name=name)
    for pid, name, __, active in OPTIONS["owners"]
}
OWNER_REGION: dict[int, int | None] = {pid: region for pid, __, region, ___ in OPTIONS["owners"]}
OWNER_ACTIVE: dict[int, bool] = {pid: active for pid, __, ___, active in OPTIONS["owners"]}

st.title(_("Customers"))
st.caption(
    _(
        "One shared archive: everyone sees every customer; each has one owner. "
        "Reps change their own customers, managers those in their regions."
    )
)
show_flash("customers")

if (open_id := open_record("customer", OPEN_KEY)) is not None:  # /customers?customer=5
    show_customer(int(open_id))
else:
    show_list()
