"""One deal on screen: status, move forward, checklist, next step and close date, quick-add
activity, team, history and lead-to-cash. Used by My deals (phone) and Pipeline (desktop).

Every action calls one core service inside `write()`; refusals show as st.error, nothing saved.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from core.errors import DomainError
from core.models import Actor, CashStatus, DealStatus, ForecastCategory, Role
from core.org.access import load_actor
from core.pipeline import deals, stages, views
from core.pipeline.deals import CashStep, DealMove, DealUpdate
from core.pipeline.views import DealDetail
from ui.activity_form import add_follow_up_form, quick_add_activity
from ui.data import cached, read, save, write
from ui.deal_actions import render_clone, render_mark_lost, render_reopen
from ui.deal_credit import render_credit
from ui.deal_form import currency_label, currency_options
from ui.flash import clear, flash_error
from ui.format import as_text, day, deal_money, money, money_in, percent

CASH_LABELS = {
    CashStatus.CONTRACT_SIGNED: "Contract signed",
    CashStatus.INVOICED: "Invoiced",
    CashStatus.PAID: "Paid",
}


def error_text(exc: Exception) -> str:
    """A refusal for the user: the domain message, or the fields pydantic rejected."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
        )
    return str(exc)


DEAL_WRITES = ("deals", "activities", "alerts", "customers")
"""What a write on a deal changes: its figures, its activities, the alerts and the customer's
summary."""


def run_action(action: Callable[..., object], success: str) -> None:
    """Run one write on the deal and report it (ui.data.save)."""
    save(action, success, affects=DEAL_WRITES)


@cached("deals", "activities", "customers", "settings", "org", ttl=30, show_spinner=False)
def load_detail(person_id: int, deal_id: int) -> DealDetail:
    with read() as session:
        return views.deal_detail(session, load_actor(session, person_id), deal_id)


def company_code() -> str:
    """The company currency: every figure and every "In USD" column is in it."""
    return currency_options().company


@cached("deals", "activities", "customers", "settings", "org", ttl=300, show_spinner=False)
def stage_choices() -> list[tuple[int, str, bool, bool]]:
    with read() as session:
        return [(s.id, s.name, s.is_won, s.is_lost) for s in stages.list_stages(session)]


@cached("deals", "activities", "customers", "settings", "org", ttl=300, show_spinner=False)
def team_choices(person_id: int) -> tuple[list[tuple[int, str]], list[str]]:
    with read() as session:
        actor = load_actor(session, person_id)
        return views.team_candidates(session, actor), stages.known_team_roles(session)


def _tick(person_id: int, deal_id: int, version: int, item: str, key: str) -> None:
    """Checkbox callback: save the tick at once (runs before the page reruns)."""
    clear()
    try:
        with write(DEAL_WRITES) as session:
            deals.tick_checklist_item(
                session,
                load_actor(session, person_id),
                deal_id,
                version,
                item,
                bool(st.session_state[key]),
            )
    except DomainError as exc:
        flash_error(str(exc))


def render_header(detail: DealDetail) -> None:
    st.subheader(detail.name)
    status = {
        DealStatus.OPEN: f"{detail.stage} · {percent(detail.probability)}",
        DealStatus.WON: f"✅ Won on {detail.closed_on}",
        DealStatus.LOST: f"❌ Lost on {detail.closed_on}: {detail.lost_reason}",
    }[detail.status]
    amounts = deal_money(
        detail.amount,
        detail.currency,
        detail.company_amount,
        detail.company_currency,
        detail.first_rate,
    )
    st.markdown(
        f"**{detail.customer}** · {detail.owner}  \n{status}  \n"
        f"💰 **{amounts}**"
        + (f" · {detail.quantity} units" if detail.quantity != 1 else "")
        + f" · 📅 close {detail.expected_close}"
        + (f" · ⚠️ slipped {detail.close_date_changes}×" if detail.slipping else "")
    )
    conversion = conversion_note(detail)
    if conversion:
        st.caption(conversion)
    if detail.status == DealStatus.LOST and detail.lost_note:
        st.caption(f"Note on the loss: {detail.lost_note}")
    if detail.status == DealStatus.OPEN:
        st.caption(
            f"Next step: {detail.next_step or '—'}"
            + (f" (due {detail.next_step_due})" if detail.next_step_due else "")
            + f" · {detail.days_in_stage} days in stage"
            + (f" (expected at most {detail.max_days}) ⏰" if detail.stalled else "")
        )
        if detail.overdue:
            st.warning(
                f"The expected close date {detail.expected_close} has passed; "
                "move the deal on or change the close date.",
                icon="📅",
            )


def conversion_note(detail: DealDetail) -> str | None:
    """How the deal's amount reaches the company currency (None: it is in that currency)."""
    code, company = detail.currency, detail.company_currency
    if code == company:
        return None
    closed = detail.status != DealStatus.OPEN and detail.closed_on is not None
    if detail.company_amount is not None and closed:
        return (
            f"The amount in {company} is converted at the {code} rate in effect on the close "
            f"date, {day(detail.closed_on)}."
        )
    if detail.company_amount is not None:
        return f"The amount in {company} is converted at the {code} rate in effect today."
    if closed and detail.first_rate is not None:
        return (
            f"The deal closed on {day(detail.closed_on)}, before the first {code} rate "
            f"({day(detail.first_rate)}): the figures list it as not priced until an admin adds "
            f"a {code} rate dated on or before its close date on the Exchange rates page."
        )
    return (
        f"There is no {code} rate yet: the figures list this deal as not priced until an admin "
        f"adds one on the Exchange rates page."
    )


def render_move(actor: Actor, detail: DealDetail, key: str) -> None:
    """Checklist of the current stage, then one button to the next stage (or the won form)."""
    if detail.checklist:
        st.markdown(f"**Exit checklist of {detail.stage}**")
        for index, item in enumerate(detail.checklist):
            box = f"{key}_chk_{detail.id}_{index}"
            st.session_state[box] = item.done  # the saved state wins over a refused click
            st.checkbox(
                item.item,
                key=box,
                on_change=_tick,
                args=(actor.id, detail.id, detail.version, item.item, box),
            )
    if detail.next_stage is None:
        return
    for blocker in detail.blockers:
        st.warning(blocker, icon="🚧")
    if detail.next_is_won:
        with st.form(f"{key}_won_{detail.id}"):
            st.markdown("**Mark won**")
            closed_on = st.date_input("Closed on", value=date.today(), key=f"{key}_won_on")
            amount = st.number_input(
                f"Final amount ({detail.currency})",
                min_value=0.0,
                value=float(detail.amount),
                step=100.0,
            )
            submitted = st.form_submit_button("🏆 Mark won", type="primary", width="stretch")
        if submitted:
            move = {"closed_on": closed_on, "amount": round(amount, 2)}
            _move(actor, detail, detail.next_stage_id, f"🏆 {detail.name} is won.", **move)
        return
    if st.button(
        f"➡️ Move to {detail.next_stage}",
        key=f"{key}_next_{detail.id}",
        type="primary",
        width="stretch",
        disabled=bool(detail.blockers) and actor.role == Role.REP,
    ):
        _move(actor, detail, detail.next_stage_id, f"Moved to {detail.next_stage}.")


def _move(actor: Actor, detail: DealDetail, stage_id: int, success: str, **values) -> None:
    def action(session):
        move = DealMove(to_stage_id=stage_id, seen_version=detail.version, **values)
        deals.move_deal(session, load_actor(session, actor.id), detail.id, move)

    run_action(action, success)


def render_other_move(actor: Actor, detail: DealDetail, key: str) -> None:
    """Back with a reason, reopen a won deal, or a manager's override (lost: `render_mark_lost`,
    reopening a lost deal: `render_reopen`)."""
    options = [
        (sid, name)
        for sid, name, _, is_lost in stage_choices()
        if sid != detail.stage_id and not is_lost
    ]
    with st.expander("Other move: back, override"):
        with st.form(f"{key}_other_{detail.id}"):
            target = st.selectbox(
                "To stage", options, format_func=lambda o: o[1], key=f"{key}_other_to"
            )
            reason = st.text_input("Reason", key=f"{key}_other_reason")
            override = False
            if actor.role != Role.REP:
                override = st.checkbox("Override the checklist and role rules", key=f"{key}_ovr")
            submitted = st.form_submit_button("Move", width="stretch")
        if submitted and target:
            values: dict[str, object] = {"reason": reason or None, "override": override}
            if next(s for s in stage_choices() if s[0] == target[0])[2]:
                values |= {"closed_on": date.today(), "amount": detail.amount}
            _move(actor, detail, target[0], f"Moved to {target[1]}.", **values)


def render_edit(actor: Actor, detail: DealDetail, key: str) -> None:
    """Next step, close date, amount, currency and forecast category of an open deal."""
    with st.expander("✏️ Next step, close date, amount"):
        with st.form(f"{key}_edit_{detail.id}"):
            next_step = st.text_input(
                "Next step",
                value=detail.next_step_note or "",
                max_chars=300,
                help="A note shown as the next step while the deal has no open follow-up.",
            )
            close = st.date_input("Expected close", value=detail.expected_close)
            choices = currency_options()
            codes = choices.codes
            if detail.currency not in codes:  # a code kept from before the list changed
                codes = [detail.currency, *codes]
            amount_col, currency_col = st.columns([3, 2])
            amount = amount_col.number_input(
                "Amount", min_value=0.0, value=float(detail.amount), step=100.0
            )
            code = currency_col.selectbox(
                "Currency",
                codes,
                index=codes.index(detail.currency),
                format_func=lambda c: currency_label(c, choices),
                key=f"{key}_edit_currency_{detail.id}",
                help="The currency of the amount. Figures convert it to the company currency "
                "at the rate in effect.",
            )
            categories = list(ForecastCategory)
            category = st.selectbox(
                "Forecast category",
                categories,
                index=categories.index(detail.forecast_category),
                format_func=lambda c: c.value.replace("_", " "),
            )
            submitted = st.form_submit_button("Save", width="stretch")
        if submitted:
            changes: dict = {}
            if next_step != (detail.next_step_note or ""):
                changes["next_step"] = next_step
            if close != detail.expected_close:
                changes["expected_close"] = close
            if round(amount, 2) != float(detail.amount):
                changes["amount"] = round(amount, 2)
            if code != detail.currency:
                changes["currency"] = code
            if category != detail.forecast_category:
                changes["forecast_category"] = category

            def action(session):
                deals.update_deal(
                    session,
                    load_actor(session, actor.id),
                    detail.id,
                    detail.version,
                    DealUpdate(**changes),
                )

            run_action(action, "Saved." if changes else "Nothing changed.")


def render_team(actor: Actor, detail: DealDetail, key: str) -> None:
    st.markdown("**Deal team**")
    if not detail.team:
        st.caption("Nobody on the team yet.")
    for member in detail.team:
        row = st.container(horizontal=True, vertical_alignment="center")
        row.markdown(f"{member.person} — *{member.role}*")
        if detail.can_edit and row.button("✖", key=f"{key}_rm_{member.id}", help="Remove"):

            def remove(session, member_id=member.id):
                deals.remove_team_member(session, load_actor(session, actor.id), member_id)

            run_action(remove, f"{member.person} left the team.")
    if not detail.can_edit:
        return
    people, roles = team_choices(actor.id)
    with st.form(f"{key}_team_{detail.id}", border=False):
        person = st.selectbox(
            "Person", people, format_func=lambda p: p[1], index=None, key=f"{key}_team_person"
        )
        role = st.selectbox(
            "Role", roles, index=None, accept_new_options=True, key=f"{key}_team_role"
        )
        submitted = st.form_submit_button("Add to team", width="stretch")
    if submitted:
        if person is None or not role:
            st.error("Pick a person and a role.")
            return

        def add(session):
            deals.add_team_member(
                session, load_actor(session, actor.id), detail.id, person[0], role
            )

        run_action(add, f"{person[1]} joined the team as {role}.")


def render_cash(actor: Actor, detail: DealDetail, key: str) -> None:
    """Where a won deal stands from contract to cash, and the form for the next step."""
    st.markdown("**Lead to cash**")
    steps = [
        ("Contract signed", detail.contract_signed_on, detail.contract_amount),
        ("Invoiced", detail.invoiced_on, detail.invoiced_amount),
        ("Paid", detail.paid_on, detail.paid_amount),
    ]
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "step": name,
                    "on": on.isoformat() if on else "–",
                    "amount": money_in(amount, detail.currency) if amount else "–",
                }
                for name, on, amount in steps
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    step = detail.next_cash_step
    if step is None or not detail.can_edit:
        return
    with st.form(f"{key}_cash_{detail.id}"):
        on = st.date_input(f"{CASH_LABELS[step]} on", value=date.today())
        default = detail.invoiced_amount or detail.contract_amount or detail.amount
        amount = st.number_input(
            f"Amount ({detail.currency})", min_value=0.0, value=float(default), step=100.0
        )
        submitted = st.form_submit_button(f"Record: {CASH_LABELS[step].lower()}", width="stretch")
    if submitted:

        def action(session):
            data = CashStep(step=step, on=on, amount=round(amount, 2), seen_version=detail.version)
            deals.record_cash_step(session, load_actor(session, actor.id), detail.id, data)

        run_action(action, f"{CASH_LABELS[step]} recorded.")


def render_history(detail: DealDetail) -> None:
    st.markdown("**Stage history**")
    if not detail.history:
        st.caption("No stage changes recorded yet.")
        return
    st.dataframe(
        pd.DataFrame([h.model_dump() for h in detail.history]).assign(
            amount=lambda f: f["amount"].map(money),
            # the first entry comes from no stage; a move without a reason or by the system
            **{c: lambda f, c=c: as_text(f[c]) for c in ("from_stage", "changed_by", "reason")},
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "changed_at": st.column_config.DatetimeColumn("When", format="D MMM YYYY, HH:mm"),
            "from_stage": "From",
            "to_stage": "To",
            "changed_by": "By",
            "amount": "Amount",
            "reason": "Reason",
        },
    )


def render_activities(detail: DealDetail) -> None:
    st.markdown("**Activities**")
    if not detail.activities:
        st.caption("No activities logged on this deal yet.")
        return
    st.dataframe(
        pd.DataFrame([a.model_dump() for a in detail.activities]).assign(
            **{c: lambda f, c=c: as_text(f[c]) for c in ("outcome", "notes")}
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "occurred_on": "Date",
            "type": "Type",
            "person": "By",
            "outcome": "Outcome",
            "notes": "Notes",
        },
    )


def render_deal(
    actor: Actor,
    deal_id: int,
    *,
    key: str,
    compact: bool = False,
    open_deal: Callable[[int], None] | None = None,
) -> None:
    """The whole deal; `compact` (phone) puts the move and the visit first; `open_deal` opens
    another deal (its copy)."""
    try:
        detail = load_detail(actor.id, deal_id)
    except DomainError as exc:
        st.error(str(exc))
        return
    render_header(detail)
    if detail.updated_by:
        st.caption(f"Last changed by {detail.updated_by} at {detail.updated_at:%d %b %Y %H:%M}")
    if detail.status == DealStatus.OPEN and detail.can_edit:
        render_move(actor, detail, key)
        quick_add_activity(actor, detail.customer_id, detail.id, key=f"{key}_act_{detail.id}")
        add_follow_up_form(actor, detail.customer_id, detail.id, key=f"{key}_fu_{detail.id}")
        render_edit(actor, detail, key)
        lost_stage = next((sid for sid, _, _, is_lost in stage_choices() if is_lost), None)
        if lost_stage is not None:
            render_mark_lost(actor, detail, key, lost_stage)
        render_other_move(actor, detail, key)
    elif detail.status == DealStatus.OPEN:
        quick_add_activity(actor, detail.customer_id, detail.id, key=f"{key}_act_{detail.id}")
        add_follow_up_form(actor, detail.customer_id, detail.id, key=f"{key}_fu_{detail.id}")
    if detail.status == DealStatus.WON:
        render_cash(actor, detail, key)
    if detail.status == DealStatus.WON and detail.can_edit and actor.role != Role.REP:
        render_other_move(actor, detail, key)
    render_reopen(actor, detail, key)
    render_clone(actor, detail, key, open_deal)
    render_credit(actor, detail.id, key=key)
    sections = (render_team, render_history, render_activities)
    if compact:
        with st.expander("Team, history and activities"):
            render_team(actor, detail, key)
            render_history(detail)
            render_activities(detail)
    else:
        team, history = st.columns(2)
        with team:
            sections[0](actor, detail, key)
        with history:
            render_history(detail)
        render_activities(detail)
