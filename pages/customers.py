"""Customers: the company's shared archive. Find, open, create and edit customers; managers
hand customers over and merge duplicates."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from core import customers
from core.customers.archive import SORTS, CustomerDetail, CustomerFilters
from core.customers.duplicates import LikelyDuplicate
from core.customers.editing import ContactInput, CustomerInput, CustomerUpdate
from core.errors import DomainError
from core.models import CustomerStatus, Role
from core.org.access import in_scope, load_actor
from ui.activity_form import add_follow_up_form, quick_add_activity
from ui.auth import current_actor
from ui.customer_views import FIELD_LABELS, duplicates_table, input_errors, timeline_table
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


@cached("customers", "deals", "activities", "org", show_spinner="Preparing the download…")
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
        labels=FIELD_LABELS,
        after=after,
        keep_raising=(LikelyDuplicate,),
    )


# --- the list -----------------------------------------------------------------------------


def region_label(region_id: int | None) -> str:
    return "All regions" if region_id is None else REGIONS.get(region_id, str(region_id))


def owner_label(person_id: int | None) -> str:
    return "Anyone" if person_id is None else OWNERS.get(person_id, str(person_id))


def list_filters() -> CustomerFilters:
    search = st.text_input(
        "Search by name",
        key="cust_search",
        placeholder="Part of the name: case, accents and Ltd/GmbH do not matter",
    )
    with st.expander("Filters and sorting", expanded=False):
        a, b, c = st.columns(3)
        region_id = a.selectbox(
            "Region (with its teams)", [None, *REGIONS], format_func=region_label, key="cust_region"
        )
        owner_id = b.selectbox("Owner", [None, *OWNERS], format_func=owner_label, key="cust_owner")
        status = c.selectbox("Status", [None, *STATUSES], format_func=lambda s: s or "Any")
        d, e, f = st.columns(3)
        industry = d.selectbox("Industry", [None, *OPTIONS["industries"]], format_func=any_label)
        segment = e.selectbox("Segment", [None, *OPTIONS["segments"]], format_func=any_label)
        inactive = f.number_input(
            "No activity for at least N days (0 = off)",
            min_value=0,
            max_value=3650,
            step=30,
            key="cust_inactive",
        )
        g, h, _ = st.columns(3)
        sort = g.selectbox("Sort by", list(SORTS), format_func=SORTS.get, key="cust_sort")
        descending = h.toggle("Descending", key="cust_desc")
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
    return value or "Any"


def show_list() -> None:
    filters = list_filters()
    filters_json = filters.model_dump_json()
    if st.session_state.get("cust_filters_seen") != filters_json:
        st.session_state["cust_filters_seen"] = filters_json
        st.session_state["cust_page"] = 1  # new filters start at the first page
    size_col, page_col, count_col = st.columns([1, 1, 2])
    page_size = size_col.selectbox("Rows per page", [25, 50, 100], index=1, key="cust_size")
    page = int(st.session_state.get("cust_page", 1))
    rows, total = customer_page(actor.id, filters_json, page, page_size, date.today())
    pages = max(1, -(-total // page_size))
    if page > pages:  # fewer rows per page or fewer matches: stay on the last page
        page = st.session_state["cust_page"] = pages
        rows, total = customer_page(actor.id, filters_json, page, page_size, date.today())
    page_col.number_input("Page", min_value=1, max_value=pages, key="cust_page")
    count_col.metric("Matching customers", f"{total:,}", help=f"Page {page} of {pages:,}")

    if rows.empty:
        st.info(
            "No customer matches. Shorten the search or clear a filter; if the customer is "
            "really new, create it under **New customer** below."
        )
    else:
        st.dataframe(
            rows.drop(columns=["id"]).assign(last_activity=as_text(rows["last_activity"], day)),
            hide_index=True,
            width="stretch",
            column_config={
                "name": "Customer",
                "region": "Region",
                "owner": "Owner",
                "industry": "Industry",
                "segment": "Segment",
                "status": "Status",
                "potential": st.column_config.NumberColumn("Annual potential", format="localized"),
                "last_activity": "Last activity",
                "created": st.column_config.DateColumn("Created"),
            },
        )
        names = {int(i): n for i, n in zip(rows["id"], rows["name"], strict=True)}
        pick, go = st.columns([3, 1], vertical_alignment="bottom")
        chosen = pick.selectbox(
            "Open a customer from this page", list(names), format_func=names.get, key="cust_pick"
        )
        if go.button("Open customer", key="cust_open", type="primary"):
            open_customer(int(chosen))
            st.rerun()
        if st.toggle(f"Download the matching customers ({total:,})", key="cust_download"):
            export = customer_export(actor.id, filters_json, date.today())
            if total > EXPORT_LIMIT:
                st.warning(
                    f"The download holds the first {EXPORT_LIMIT:,} of {total:,} customers in "
                    "this order; narrow the filters to get the rest."
                )
            download_buttons(export, "customers", key="customers_download")

    new_customer_form()
    if customers.can_reassign(actor):
        hand_over_form(rows)


def show_duplicates(candidates) -> None:
    st.dataframe(duplicates_table(candidates), hide_index=True, width="stretch")


def new_customer_form() -> None:
    with st.expander("➕ New customer", expanded="pending_create" in st.session_state):
        my_regions = [r for r in REGIONS if in_scope(actor, r)]
        if not my_regions:
            st.info("You have no region of your own, so you cannot create customers.")
            return
        owners = [p for p in OWNERS if in_scope(actor, OWNER_REGION.get(p))]
        with st.form("new_customer"):
            name = st.text_input("Name *", key="new_name")
            a, b = st.columns(2)
            default_region = actor.region_id if actor.region_id in my_regions else my_regions[0]
            region_id = a.selectbox(
                "Region *",
                my_regions,
                index=my_regions.index(default_region),
                format_func=region_label,
                key="new_region",
            )
            if actor.role == Role.REP or not owners:
                owner_id = actor.id
                b.text_input("Owner", actor.name, disabled=True)
            else:
                owner_id = b.selectbox("Owner", owners, format_func=owner_label, key="new_owner")
            c, d, e = st.columns(3)
            industry = c.text_input("Industry", key="new_industry")
            segment = d.selectbox(
                "Segment",
                ["", *OPTIONS["segments"]],
                format_func=lambda v: v or "–",
                key="new_segment",
            )
            status = e.selectbox("Status", STATUSES, key="new_status")
            potential = st.number_input("Annual potential", value=0, step=1000, key="new_potential")
            submitted = st.form_submit_button("Create customer", type="primary")
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
            st.warning(f"**{data.name}** looks like a customer we already have:")
            show_duplicates(candidates)
            st.caption("Open the existing customer instead:")
            for col, cand in zip(st.columns(3), candidates[:3], strict=False):
                if col.button(
                    f"Open {cand.name} ({cand.region})", key=f"dup_open_{cand.id}", width="stretch"
                ):
                    open_customer(cand.id)
                    st.rerun()
            confirm_col, cancel_col, _ = st.columns([2, 1, 1])
            if not blocking and confirm_col.button(
                "It is a different customer: create it", key="dup_confirm", type="primary"
            ):
                create(data, confirmed=True)
            if cancel_col.button("Cancel", key="dup_cancel"):
                st.session_state.pop("pending_create", None)
                st.rerun()


def create(data: CustomerInput, *, confirmed: bool) -> None:
    try:
        save_customer(
            customers.create_customer,
            data,
            confirmed=confirmed,
            done=f"{data.name} created.",
            after=open_customer,
        )
    except LikelyDuplicate as exc:
        st.session_state["pending_create"] = (data, exc.candidates, exc.blocking)
        st.rerun()


def hand_over_form(rows: pd.DataFrame) -> None:
    with st.expander("🔁 Hand over customers (managers and directors)"):
        people = [p for p in OWNERS if in_scope(actor, OWNER_REGION.get(p))]
        active = [p for p in people if OWNER_ACTIVE.get(p)]
        which = st.radio(
            "Which customers",
            ["All customers of one person", "Customers I pick from this page"],
            horizontal=True,
            key="handover_mode",
        )
        with st.form("hand_over"):
            if which == "All customers of one person":
                former = st.selectbox(
                    "From (e.g. a rep who leaves)",
                    people,
                    index=None,
                    placeholder="Choose whose customers to hand over",
                    format_func=owner_label,
                    key="ho_from",
                )
                picked = []
            else:
                former = None
                names = {int(i): n for i, n in zip(rows["id"], rows["name"], strict=True)}
                picked = st.multiselect(
                    "Customers", list(names), format_func=names.get, key="ho_pick"
                )
            to = st.selectbox(
                "To",
                active,
                index=None,
                placeholder="Choose who takes them over",
                format_func=owner_label,
                key="ho_to",
            )
            with_deals = st.checkbox("Move their open deals too", value=True, key="ho_deals")
            reason = st.text_input("Reason (goes to the audit log)", key="ho_reason")
            go = st.form_submit_button("Hand over", type="primary")
        if go and (to is None or (which == "All customers of one person" and former is None)):
            st.error("Choose who hands over and who takes over; nothing was changed.")
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
                done=lambda result: (
                    f"{result.customers} customers and {result.deals} open deals handed over "
                    f"to {owner_label(to)}."
                ),
                affects=("customers", "deals"),
            )


# --- one customer -------------------------------------------------------------------------


def show_customer(customer_id: int) -> None:
    if st.button("← Back to the customer list", key="cust_back"):
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
                f"Region: {detail.region}",
                f"Owner: {detail.owner or 'nobody'}",
                f"Status: {detail.status}",
                detail.industry,
                detail.segment,
                f"Id {detail.external_id}" if detail.external_id else None,
            )
            if part
        )
    )
    s = detail.summary
    if s.deals_not_shown:
        st.caption(
            "Won to date and open pipeline cover the deals you may see; "
            f"{s.deals_not_shown} deal(s) of colleagues are shown without amounts."
        )
    won, pipeline, last, rate, potential = st.columns(5)
    company = company_code()
    won.metric(
        "Won to date",
        money(s.won_to_date),
        help=f"In {company}, of {s.won_deals} deals won; a deal in a currency without an "
        "exchange rate on its close date is left out.",
    )
    pipeline.metric(
        "Open pipeline",
        money(s.open_pipeline),
        help=f"In {company}, of {s.open_deals} open deals; a deal in a currency without an "
        "exchange rate is left out.",
    )
    last.metric("Last contact", s.last_contact.isoformat() if s.last_contact else "never")
    rate.metric(
        "Win rate", percent(s.win_rate), help=f"{s.won_deals} won of {s.won_deals + s.lost_deals}"
    )
    potential.metric("Annual potential", money(detail.annual_potential))

    tabs = ["Timeline", "Contacts", "Profile"]
    if detail.can_reassign:
        tabs.append("Owner and duplicates")
    tab = st.tabs(tabs)
    with tab[0]:
        with st.expander("➕ New deal for this customer"):
            new_deal_form(actor, key=f"customer_{detail.id}_deal", customer_id=detail.id)
        if detail.can_log_activity:
            with st.expander("📝 Log a visit, call, meeting, demo or email"):
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
        st.info("Nothing has happened with this customer yet: no deals, activities or changes.")
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
            "when": "When",
            "kind": "Kind",
            "what": st.column_config.TextColumn("What", width="large"),
            "amount": st.column_config.TextColumn(
                f"Amount ({company})" if one_currency else "Amount",
                alignment="right",
                help="In the deal's own currency",
            ),
            "currency": st.column_config.TextColumn("Currency"),
            "company_amount": st.column_config.TextColumn(
                f"In {company}",
                width=220 if timeline["not_priced"].any() else None,  # room for the reason
                alignment="right",
                help="The deal's amount in the company currency at the rate in effect: on the "
                "close date for a won or lost deal, today for an open one",
            ),
            "who": "Who",
        },
    )
    download_buttons(table, f"customer-{detail.id}-timeline", key="timeline_download")


def contact_form(key: str, contact=None) -> ContactInput | None:
    """The contact fields; returns validated input when submitted, None otherwise."""
    with st.form(key, clear_on_submit=contact is None):
        a, b = st.columns(2)
        name = a.text_input("Name *", contact.name if contact else "", key=f"{key}_name")
        title = b.text_input("Title", (contact.title or "") if contact else "", key=f"{key}_title")
        c, d = st.columns(2)
        email = c.text_input("Email", (contact.email or "") if contact else "", key=f"{key}_email")
        phone = d.text_input("Phone", (contact.phone or "") if contact else "", key=f"{key}_phone")
        primary = st.checkbox(
            "Primary contact", contact.is_primary if contact else False, key=f"{key}_primary"
        )
        label = "Save contact" if contact else "Add contact"
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
                "name": "Name",
                "title": "Title",
                "email": "Email",
                "phone": "Phone",
                "is_primary": st.column_config.CheckboxColumn("Primary"),
            },
        )
    else:
        st.info("No contacts yet." + (" Add the first one below." if detail.can_edit else ""))
    if not detail.can_edit:
        st.caption(
            "Only the owner, a manager of its region or a director can change this customer."
        )
        return
    st.markdown("**Add a contact**")
    if (data := contact_form("add_contact")) is not None:
        save_customer(customers.add_contact, detail.id, data, done=f"Contact {data.name} added.")
    if detail.contacts:
        st.markdown("**Change or remove a contact**")
        by_id = {c.id: c for c in detail.contacts}
        chosen = st.selectbox(
            "Contact", list(by_id), format_func=lambda i: by_id[i].name, key="edit_contact_pick"
        )
        contact = by_id[chosen]
        if (data := contact_form(f"edit_contact_{chosen}", contact)) is not None:
            save_customer(
                customers.update_contact, chosen, data, done=f"Contact {data.name} saved."
            )
        if st.button(f"Remove {contact.name}", key=f"remove_contact_{chosen}"):
            save_customer(
                customers.remove_contact, chosen, done=f"Contact {contact.name} removed."
            )


def edit_profile(detail: CustomerDetail) -> None:
    if not detail.can_edit:
        st.info(
            "You can see this customer but not change it: reps change their own customers, "
            "managers those in their regions."
        )
        return
    my_regions = [r for r in REGIONS if in_scope(actor, r)] or [detail.region_id]
    if detail.region_id not in my_regions:
        my_regions.insert(0, detail.region_id)
    with st.form("edit_customer"):
        name = st.text_input("Name *", detail.name, key="edit_name")
        a, b = st.columns(2)
        region_id = a.selectbox(
            "Region *",
            my_regions,
            index=my_regions.index(detail.region_id),
            format_func=region_label,
            key="edit_region",
        )
        status = b.selectbox(
            "Status", STATUSES, index=STATUSES.index(detail.status), key="edit_status"
        )
        c, d, e = st.columns(3)
        industry = c.text_input("Industry", detail.industry or "", key="edit_industry")
        segment = d.text_input("Segment", detail.segment or "", key="edit_segment")
        potential = e.number_input(
            "Annual potential", value=int(detail.annual_potential), step=1000, key="edit_potential"
        )
        submitted = st.form_submit_button("Save profile", type="primary")
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
        st.warning("The new name or region looks like a customer we already have:")
        show_duplicates(candidates)
        if not blocking and st.button("It is a different customer: save", key="edit_confirm"):
            update(detail.id, data, confirmed=True)
        if st.button("Cancel the change", key="edit_cancel"):
            st.session_state.pop("pending_edit", None)
            st.rerun()


def update(customer_id: int, data: CustomerUpdate, *, confirmed: bool) -> None:
    try:
        save_customer(
            customers.update_customer,
            customer_id,
            data,
            confirmed=confirmed,
            done="Saved.",
            after=lambda _: st.session_state.pop("pending_edit", None),
        )
    except LikelyDuplicate as exc:
        st.session_state["pending_edit"] = (data, exc.candidates, exc.blocking)
        st.rerun()


def owner_and_merge(detail: CustomerDetail) -> None:
    st.markdown("**Hand this customer to someone else**")
    people = [p for p in OWNERS if OWNER_ACTIVE.get(p) and in_scope(actor, OWNER_REGION.get(p))]
    with st.form("reassign_one"):
        to = st.selectbox(
            "New owner",
            [p for p in people if p != detail.owner_id],
            index=None,
            placeholder="Choose who takes this customer over",
            format_func=owner_label,
            key="one_to",
        )
        with_deals = st.checkbox("Move the open deals of the current owner too", value=True)
        reason = st.text_input("Reason (goes to the audit log)", key="one_reason")
        go = st.form_submit_button("Hand over")
    if go and to is None:
        st.error("Choose the new owner; nothing was changed.")
    elif go:
        save_customer(
            customers.reassign_customers,
            [detail.id],
            to,
            with_open_deals=with_deals,
            reason=reason or None,
            done=lambda result: (
                f"{detail.name} handed to {owner_label(to)} with {result.deals} open deals."
            ),
            affects=("customers", "deals"),
        )

    st.markdown("**Merge a duplicate into this customer**")
    suggestions = possible_duplicates(detail.id, detail.name, detail.region_id)
    if suggestions:
        st.caption("Likely duplicates of this customer:")
        show_duplicates(suggestions)
    query = st.text_input("Find the duplicate by name", key="merge_search")
    found: dict[int, str] = {c.id: f"{c.name} ({c.region})" for c in suggestions}
    if query.strip():
        rows, _ = customer_page(
            actor.id, CustomerFilters(search=query).model_dump_json(), 1, 20, date.today()
        )
        found.update({int(r.id): f"{r.name} ({r.region}, {r.owner})" for r in rows.itertuples()})
    found.pop(detail.id, None)
    if not found:
        st.caption("Search for the duplicate by name to merge it here.")
        return
    duplicate = st.selectbox(
        "Duplicate to merge in", list(found), format_func=found.get, key="merge_pick"
    )
    sure = st.checkbox(
        f"Move all contacts, deals and activities of {found[duplicate]} to {detail.name} and "
        "delete the duplicate",
        key="merge_sure",
    )
    if st.button("Merge", key="merge_go", disabled=not sure, type="primary"):
        save_customer(
            customers.merge_customers,
            detail.id,
            duplicate,
            done=lambda result: (
                f"Merged: {result.contacts} contacts, {result.deals} deals and "
                f"{result.activities} activities moved to {detail.name}."
            ),
            affects=("customers", "deals", "activities"),
        )


# --- the storyboard -----------------------------------------------------------------------

actor = current_actor()
OPTIONS = options()
REGIONS: dict[int, str] = dict(OPTIONS["regions"])
OWNERS: dict[int, str] = {
    pid: name + ("" if active else " (inactive)") for pid, name, _, active in OPTIONS["owners"]
}
OWNER_REGION: dict[int, int | None] = {pid: region for pid, _, region, _ in OPTIONS["owners"]}
OWNER_ACTIVE: dict[int, bool] = {pid: active for pid, _, _, active in OPTIONS["owners"]}

st.title("Customers")
st.caption(
    "One shared archive: everyone sees every customer; each has one owner. "
    "Reps change their own customers, managers those in their regions."
)
show_flash("customers")

if (open_id := open_record("customer", OPEN_KEY)) is not None:  # /customers?customer=5
    show_customer(int(open_id))
else:
    show_list()
