"""One deal on screen: status, move forward, checklist, next step and close date, quick-add
activity, team, history and lead-to-cash. Used by My deals (phone) and Pipeline (desktop).

Every action calls one core service inside `write()`; refusals show as st.error, nothing saved.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from core import clock
from core.errors import DomainError
from core.i18n import N_, _, ngettext
from core.i18n import day as day_name
from core.models import Actor, CashStatus, DealStatus, ForecastCategory, Role
from core.org.access import load_actor
from core.pipeline import deals, stages, views
from core.pipeline.deals import CashStep, DealMove, DealUpdate
from core.pipeline.views import DealDetail
from ui.activity_form import add_follow_up_form, quick_add_activity
from ui.data import cached, checked_version, read, save, saved_version, version_seen, write
from ui.deal_actions import render_clone, render_mark_lost, render_reopen
from ui.deal_credit import render_credit
from ui.deal_form import currency_label, currency_options
from ui.flash import clear, flash_error
from ui.format import as_text, deal_money, money, money_in, percent
from ui.stage_names import activity_name, forecast_name, moment, shown

CASH_LABELS = {
    CashStatus.CONTRACT_SIGNED: N_("Contract signed"),
    CashStatus.INVOICED: N_("Invoiced"),
    CashStatus.PAID: N_("Paid"),
}
CASH_DATES = {
    CashStatus.CONTRACT_SIGNED: N_("Contract signed on"),
    CashStatus.INVOICED: N_("Invoiced on"),
    CashStatus.PAID: N_("Paid on"),
}
CASH_BUTTONS = {
    CashStatus.CONTRACT_SIGNED: N_("Record: contract signed"),
    CashStatus.INVOICED: N_("Record: invoiced"),
    CashStatus.PAID: N_("Record: paid"),
}
CASH_DONE = {
    CashStatus.CONTRACT_SIGNED: N_("Contract signed recorded."),
    CashStatus.INVOICED: N_("Invoiced recorded."),
    CashStatus.PAID: N_("Paid recorded."),
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
    record = f"deal_{deal_id}"
    try:
        with write(DEAL_WRITES) as session:
            written = deals.tick_checklist_item(
                session,
                load_actor(session, person_id),
                deal_id,
                checked_version(record, version),
                item,
                bool(st.session_state[key]),
            )
        saved_version(record, written)
    except DomainError as exc:
        flash_error(str(exc))


def render_header(detail: DealDetail) -> None:
    st.subheader(detail.name)
    closed_on = day_name(detail.closed_on) if detail.closed_on else None
    status = {
        DealStatus.OPEN: f"{shown(detail.stage)} · {percent(detail.probability)}",
        DealStatus.WON: _("✅ Won on {day}").format(day=closed_on),
        DealStatus.LOST: _("❌ Lost on {day}: {reason}").format(
            day=closed_on, reason=shown(detail.lost_reason)
        ),
    }[detail.status]
    amounts = deal_money(
        detail.amount,
        detail.currency,
        detail.company_amount,
        detail.company_currency,
        detail.first_rate,
    )
    facts = [f"💰 **{amounts}**"]  # the deal's facts, one phrase each, joined by " · "
    if detail.quantity != 1:
        facts.append(_("{n} units").format(n=detail.quantity))
    facts.append(_("📅 close {day}").format(day=day_name(detail.expected_close)))
    if detail.slipping:
        facts.append(_("⚠️ slipped {n}×").format(n=detail.close_date_changes))
    st.markdown(f"**{detail.customer}** · {detail.owner}  \n{status}  \n" + " · ".join(facts))
    conversion = conversion_note(detail)
    if conversion:
        st.caption(conversion)
    if detail.status == DealStatus.LOST and detail.lost_note:
        st.caption(_("Note on the loss: {note}").format(note=detail.lost_note))
    if detail.status == DealStatus.OPEN:
        step = detail.next_step or "—"
        if detail.next_step_due:
            step_text = _("Next step: {step} (due {day})").format(
                step=step, day=day_name(detail.next_step_due)
            )
        else:
            step_text = _("Next step: {step}").format(step=step)
        if detail.stalled:
            days = ngettext(
                "{n} day in stage (expected at most {max}) ⏰",
                "{n} days in stage (expected at most {max}) ⏰",
                detail.days_in_stage,
            ).format(n=detail.days_in_stage, max=detail.max_days)
        else:
            days = ngettext("{n} day in stage", "{n} days in stage", detail.days_in_stage).format(
                n=detail.days_in_stage
            )
        st.caption(f"{step_text} · {days}")
        if detail.overdue:
            st.warning(
                _(
                    "The expected close date {day} has passed; "
                    "move the deal on or change the close date."
                ).format(day=day_name(detail.expected_close)),
                icon="📅",
            )


def conversion_note(detail: DealDetail) -> str | None:
    """How the deal's amount reaches the company currency (None: it is in that currency)."""
    code, company = detail.currency, detail.company_currency
    if code == company:
        return None
    closed = detail.status != DealStatus.OPEN and detail.closed_on is not None
    closed_on = day_name(detail.closed_on) if detail.closed_on is not None else ""
    if detail.company_amount is not None and closed:
        return _(
            "The amount in {company} is converted at the {code} rate in effect on the close "
            "date, {day}."
        ).format(company=company, code=code, day=closed_on)
    if detail.company_amount is not None:
        return _("The amount in {company} is converted at the {code} rate in effect today.").format(
            company=company, code=code
        )
    if closed and detail.first_rate is not None:
        return _(
            "The deal closed on {day}, before the first {code} rate ({first}): the figures list "
            "it as not priced until an admin adds a {code} rate dated on or before its close "
            "date on the Exchange rates page."
        ).format(code=code, day=closed_on, first=day_name(detail.first_rate))
    return _(
        "There is no {code} rate yet: the figures list this deal as not priced until an admin "
        "adds one on the Exchange rates page."
    ).format(code=code)


def render_move(actor: Actor, detail: DealDetail, key: str) -> None:
    """Checklist of the current stage, then one button to the next stage (or the won form)."""
    if detail.checklist:
        st.markdown(_("**Exit checklist of {stage}**").format(stage=shown(detail.stage)))
        for index, item in enumerate(detail.checklist):
            box = f"{key}_chk_{detail.id}_{index}"
            st.session_state[box] = item.done  # the saved state wins over a refused click
            st.checkbox(
                shown(item.item),
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
            st.markdown(_("**Mark won**"))
            closed_on = st.date_input(_("Closed on"), value=clock.today(), key=f"{key}_won_on")
            amount = st.number_input(
                _("Final amount ({currency})").format(currency=detail.currency),
                min_value=0.0,
                value=float(detail.amount),
                step=100.0,
            )
            submitted = st.form_submit_button(_("🏆 Mark won"), type="primary", width="stretch")
        if submitted:
            move = {"closed_on": closed_on, "amount": round(amount, 2)}
            won = _("🏆 {deal} is won.").format(deal=detail.name)
            _move(actor, detail, detail.next_stage_id, won, **move)
        return
    if st.button(
        _("➡️ Move to {stage}").format(stage=shown(detail.next_stage)),
        key=f"{key}_next_{detail.id}",
        type="primary",
        width="stretch",
        disabled=bool(detail.blockers) and actor.role == Role.REP,
    ):
        moved = _("Moved to {stage}.").format(stage=shown(detail.next_stage))
        _move(actor, detail, detail.next_stage_id, moved)


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
        for sid, name, __, is_lost in stage_choices()
        if sid != detail.stage_id and not is_lost
    ]
    with st.expander(_("Other move: back, override")):
        with st.form(f"{key}_other_{detail.id}"):
            target = st.selectbox(
                _("To stage"), options, format_func=lambda o: shown(o[1]), key=f"{key}_other_to"
            )
            reason = st.text_input(_("Reason"), key=f"{key}_other_reason")
            override = False
            if actor.role != Role.REP:
                override = st.checkbox(_("Override the checklist and role rules"), key=f"{key}_ovr")
            submitted = st.form_submit_button(_("Move"), width="stretch")
        if submitted and target:
            values: dict[str, object] = {"reason": reason or None, "override": override}
            if next(s for s in stage_choices() if s[0] == target[0])[2]:
                values |= {"closed_on": clock.today(), "amount": detail.amount}
            moved = _("Moved to {stage}.").format(stage=shown(target[1]))
            _move(actor, detail, target[0], moved, **values)


def render_edit(actor: Actor, detail: DealDetail, key: str) -> None:
    """Next step, close date, amount, currency and forecast category of an open deal."""
    with st.expander(_("✏️ Next step, close date, amount")):
        with st.form(f"{key}_edit_{detail.id}"):
            next_step = st.text_input(
                _("Next step"),
                value=detail.next_step_note or "",
                max_chars=300,
                help=_("A note shown as the next step while the deal has no open follow-up."),
            )
            close = st.date_input(_("Expected close"), value=detail.expected_close)
            choices = currency_options()
            codes = choices.codes
            if detail.currency not in codes:  # a code kept from before the list changed
                codes = [detail.currency, *codes]
            amount_col, currency_col = st.columns([3, 2])
            amount = amount_col.number_input(
                _("Amount"), min_value=0.0, value=float(detail.amount), step=100.0
            )
            code = currency_col.selectbox(
                _("Currency"),
                codes,
                index=codes.index(detail.currency),
                format_func=lambda c: currency_label(c, choices),
                key=f"{key}_edit_currency_{detail.id}",
                help=_(
                    "The currency of the amount. Figures convert it to the company currency "
                    "at the rate in effect."
                ),
            )
            categories = list(ForecastCategory)
            category = st.selectbox(
                _("Forecast category"),
                categories,
                index=categories.index(detail.forecast_category),
                format_func=forecast_name,
            )
            submitted = st.form_submit_button(_("Save"), width="stretch")
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

            run_action(action, _("Saved.") if changes else _("Nothing changed."))


def render_team(actor: Actor, detail: DealDetail, key: str) -> None:
    st.markdown(_("**Deal team**"))
    if not detail.team:
        st.caption(_("Nobody on the team yet."))
    for member in detail.team:
        row = st.container(horizontal=True, vertical_alignment="center")
        row.markdown(f"{member.person} — *{shown(member.role)}*")
        if detail.can_edit and row.button("✖", key=f"{key}_rm_{member.id}", help=_("Remove")):

            def remove(session, member_id=member.id):
                deals.remove_team_member(session, load_actor(session, actor.id), member_id)

            run_action(remove, _("{person} left the team.").format(person=member.person))
    if not detail.can_edit:
        return
    people, roles = team_choices(actor.id)
    with st.form(f"{key}_team_{detail.id}", border=False):
        person = st.selectbox(
            _("Person"),
            people,
            format_func=lambda p: p[1],
            index=None,
            placeholder=_("Pick a person"),
            key=f"{key}_team_person",
        )
        role = st.selectbox(
            _("Role"),
            roles,
            index=None,
            accept_new_options=True,
            format_func=shown,
            placeholder=_("Pick or type a role"),
            key=f"{key}_team_role",
        )
        submitted = st.form_submit_button(_("Add to team"), width="stretch")
    if submitted:
        if person is None or not role:
            st.error(_("Pick a person and a role."))
            return

        def add(session):
            deals.add_team_member(
                session, load_actor(session, actor.id), detail.id, person[0], role
            )

        run_action(
            add,
            _("{person} joined the team as {role}.").format(person=person[1], role=shown(role)),
        )


def render_cash(actor: Actor, detail: DealDetail, key: str) -> None:
    """Where a won deal stands from contract to cash, and the form for the next step."""
    st.markdown(_("**Lead to cash**"))
    steps = [
        (CashStatus.CONTRACT_SIGNED, detail.contract_signed_on, detail.contract_amount),
        (CashStatus.INVOICED, detail.invoiced_on, detail.invoiced_amount),
        (CashStatus.PAID, detail.paid_on, detail.paid_amount),
    ]
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "step": _(CASH_LABELS[name]),
                    "on": day_name(on) if on else "–",
                    "amount": money_in(amount, detail.currency) if amount else "–",
                }
                for name, on, amount in steps
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={"step": _("step"), "on": _("on"), "amount": _("amount")},
    )
    step = detail.next_cash_step
    if step is None or not detail.can_edit:
        return
    with st.form(f"{key}_cash_{detail.id}"):
        on = st.date_input(_(CASH_DATES[step]), value=clock.today())
        default = detail.invoiced_amount or detail.contract_amount or detail.amount
        amount = st.number_input(
            _("Amount ({currency})").format(currency=detail.currency),
            min_value=0.0,
            value=float(default),
            step=100.0,
        )
        submitted = st.form_submit_button(_(CASH_BUTTONS[step]), width="stretch")
    if submitted:

        def action(session):
            data = CashStep(step=step, on=on, amount=round(amount, 2), seen_version=detail.version)
            deals.record_cash_step(session, load_actor(session, actor.id), detail.id, data)

        run_action(action, _(CASH_DONE[step]))


def render_history(detail: DealDetail) -> None:
    st.markdown(_("**Stage history**"))
    if not detail.history:
        st.caption(_("No stage changes recorded yet."))
        return
    st.dataframe(
        pd.DataFrame([h.model_dump() for h in detail.history]).assign(
            amount=lambda f: f["amount"].map(money),
            # the first entry comes from no stage; a move without a reason or by the system
            from_stage=lambda f: as_text(f["from_stage"].map(shown)),
            to_stage=lambda f: f["to_stage"].map(shown),
            **{c: lambda f, c=c: as_text(f[c]) for c in ("changed_by", "reason")},
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "changed_at": st.column_config.DatetimeColumn(_("When"), format=_("D MMM YYYY, HH:mm")),
            "from_stage": _("From"),
            "to_stage": _("To"),
            "changed_by": _("Changed by"),
            "amount": _("Amount"),
            "reason": _("Reason"),
        },
    )


def render_activities(detail: DealDetail) -> None:
    st.markdown(_("**Activities**"))
    if not detail.activities:
        st.caption(_("No activities logged on this deal yet."))
        return
    st.dataframe(
        pd.DataFrame([a.model_dump() for a in detail.activities]).assign(
            type=lambda f: f["type"].map(activity_name),
            **{c: lambda f, c=c: as_text(f[c]) for c in ("outcome", "notes")},
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "occurred_on": _("Date"),
            "type": _("Type"),
            "person": _("Logged by"),
            "outcome": _("Outcome"),
            "notes": _("Notes"),
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
        # writes check the version shown before the click, not the one read afresh now
        seen = version_seen(f"deal_{key}_{deal_id}", detail.version)
        detail = detail.model_copy(update={"version": seen})
    except DomainError as exc:
        st.error(str(exc))
        return
    render_header(detail)
    if detail.updated_by:
        st.caption(
            _("Last changed by {person} at {moment}").format(
                person=detail.updated_by, moment=moment(detail.updated_at)
            )
        )
    if detail.status == DealStatus.OPEN and detail.can_edit:
        render_move(actor, detail, key)
        quick_add_activity(actor, detail.customer_id, detail.id, key=f"{key}_act_{detail.id}")
        add_follow_up_form(actor, detail.customer_id, detail.id, key=f"{key}_fu_{detail.id}")
        render_edit(actor, detail, key)
        lost_stage = next((sid for sid, __, ___, is_lost in stage_choices() if is_lost), None)
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
        with st.expander(_("Team, history and activities")):
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
