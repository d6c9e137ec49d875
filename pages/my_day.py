"""My day: a rep's home on a phone. What is due and planned today, deals closing this month,
alerts, the quarter in one line, and won deals waiting for contract, invoice or payment; one
tap marks a follow-up done, snoozes it, logs the visit, moves a deal or records a cash step."""

from datetime import date, timedelta

import streamlit as st
from babel.dates import format_date

from core import clock
from core.errors import DomainError
from core.i18n import N_, _, babel_locale, is_chinese, ngettext, period_name
from core.i18n import day as on_day
from core.models import ActivityType, CashStatus, Role
from core.org.access import load_actor
from core.pipeline import deals, follow_ups
from core.pipeline.deals import CashStep, DealMove
from core.pipeline.follow_ups import FollowUpRow
from core.pipeline.my_day import CashDeal, DayDeal, MyDay, my_day
from core.pipeline.reviews import reviewable_reps
from ui.activity_form import FOLLOW_UP_WRITES, quick_add_activity
from ui.auth import current_actor
from ui.data import cached, read, save
from ui.deal_view import render_deal, run_action
from ui.downloads import download_buttons
from ui.flash import show_flash
from ui.format import money, money_in
from ui.stage_names import shown as stage_shown

OPEN_KEY = "my_day_open_deal"
LOG_KEY = "my_day_log_follow_up"
CASH_SHOWN = 5
ALERTS_PAGE = "pages/alerts.py"
SEVERITY_ICON = {"high": "🔴", "medium": "🟠", "low": "🟡"}
KIND_ICON = {
    ActivityType.VISIT: "🚗",
    ActivityType.CALL: "📞",
    ActivityType.MEETING: "👥",
    ActivityType.DEMO: "🖥️",
    ActivityType.EMAIL: "✉️",
}
CASH_NOW = {
    None: N_("Now: Won, no contract yet"),
    CashStatus.CONTRACT_SIGNED: N_("Now: Contract signed"),
    CashStatus.INVOICED: N_("Now: Invoiced"),
    CashStatus.PAID: N_("Now: Paid"),
}  # where a won deal stands on its way to cash
CASH_ON = {
    CashStatus.CONTRACT_SIGNED: N_("Contract signed on"),
    CashStatus.INVOICED: N_("Invoiced on"),
    CashStatus.PAID: N_("Paid on"),
}
CASH_RECORD = {
    CashStatus.CONTRACT_SIGNED: N_("Record: contract signed"),
    CashStatus.INVOICED: N_("Record: invoiced"),
    CashStatus.PAID: N_("Record: paid"),
}
CASH_DONE = {
    CashStatus.CONTRACT_SIGNED: N_("Contract signed recorded for {deal}."),
    CashStatus.INVOICED: N_("Invoiced recorded for {deal}."),
    CashStatus.PAID: N_("Paid recorded for {deal}."),
}


@cached(
    "activities",
    "deals",
    "alerts",
    "targets",
    "customers",
    "settings",
    "org",
    ttl=30,
    show_spinner=False,
)
def load_day(viewer_id: int, person_id: int, today: date) -> MyDay:
    with read() as session:
        return my_day(session, load_actor(session, viewer_id), person_id=person_id, today=today)


@cached("org", ttl=300, show_spinner=False)
def my_reps(manager_id: int) -> list[tuple[int, str]]:
    with read() as session:
        return reviewable_reps(session, load_actor(session, manager_id))


def quarter_line(day: MyDay) -> str:
    quarter = day.quarter
    if quarter is None:
        return _("No figures for this quarter yet.")
    period, won = period_name(quarter.period), money(quarter.won)
    if quarter.target is None:
        return _("{period}: won {won}; there is no target this quarter.").format(
            period=period, won=won
        )
    if quarter.gap is not None and quarter.gap <= 0:
        return _("{period}: won {won} of a {target} target; the target is reached.").format(
            period=period, won=won, target=money(quarter.target)
        )
    return _("{period}: won {won} of a {target} target; {gap} to go.").format(
        period=period, won=won, target=money(quarter.target), gap=money(quarter.gap)
    )


def due_text(row: FollowUpRow, today: date) -> str:
    at = f"{row.due_at:%H:%M}" if row.due_at else None
    due = on_day(row.due_on)
    if row.due_on < today:
        days = (today - row.due_on).days
        if at:
            text = ngettext(
                "⏰ overdue since {day} ({n} day) at {time}",
                "⏰ overdue since {day} ({n} days) at {time}",
                days,
            )
        else:
            text = ngettext(
                "⏰ overdue since {day} ({n} day)", "⏰ overdue since {day} ({n} days)", days
            )
        return text.format(day=due, n=days, time=at)
    if row.due_on == today:
        return _("today at {time}").format(time=at) if at else _("today")
    return (
        _("due {day} at {time}").format(day=due, time=at) if at else _("due {day}").format(day=due)
    )


def follow_up_card(row: FollowUpRow, today: date) -> None:
    """One follow-up: what, about whom, when; then done, tomorrow, another day, log."""
    actor = current_actor()
    icon = KIND_ICON.get(row.kind, "📌") if row.kind else "📌"
    about = row.deal or row.customer or ""
    with st.container(border=True, key=f"my_day_fu_{row.id}"):
        st.markdown(f"{icon} **{row.title}**  \n{about} · {due_text(row, today)}")
        if not row.can_change:
            return
        buttons = st.container(horizontal=True, gap="small")
        if buttons.button(_("✅ Done"), key=f"my_day_done_{row.id}"):
            save(
                lambda s: follow_ups.complete_follow_up(s, load_actor(s, actor.id), row.id),
                _("Done: {title}.").format(title=row.title),
                affects=FOLLOW_UP_WRITES,
            )
        if buttons.button(_("💤 Tomorrow"), key=f"my_day_snooze_{row.id}"):
            tomorrow = today + timedelta(days=1)
            save(
                lambda s: follow_ups.snooze_follow_up(
                    s, load_actor(s, actor.id), row.id, tomorrow, today=today
                ),
                _("Snoozed to tomorrow: {title}.").format(title=row.title),
                affects=FOLLOW_UP_WRITES,
            )
        if buttons.button(_("📝 Log"), key=f"my_day_log_{row.id}", type="primary"):
            st.session_state[LOG_KEY] = row.id
            st.rerun()
        with buttons.popover(_("📅 Later"), key=f"my_day_later_{row.id}"):
            later = st.date_input(
                _("New day"),
                value=today + timedelta(days=7),
                min_value=today,
                key=f"my_day_later_on_{row.id}",
            )
            if st.button(_("Move to that day"), key=f"my_day_later_go_{row.id}"):
                save(
                    lambda s: follow_ups.reschedule_follow_up(
                        s,
                        load_actor(s, actor.id),
                        row.id,
                        due_on=later,
                        due_at=row.due_at,
                        today=today,
                    ),
                    _("Moved to {day}: {title}.").format(day=on_day(later), title=row.title),
                    affects=FOLLOW_UP_WRITES,
                )
        if st.session_state.get(LOG_KEY) == row.id and row.customer_id is not None:
            quick_add_activity(
                actor,
                row.customer_id,
                row.deal_id,
                key=f"my_day_activity_{row.id}",
                follow_up_id=row.id,
                kind=row.kind or ActivityType.VISIT,
            )
            if st.button(_("Cancel"), key=f"my_day_log_cancel_{row.id}"):
                st.session_state.pop(LOG_KEY, None)
                st.rerun()


def deal_card(deal: DayDeal, today: date) -> None:
    """A deal closing this month: its next step, one tap to the next stage, or open it."""
    actor = current_actor()
    with st.container(border=True, key=f"my_day_deal_{deal.id}"):
        st.markdown(
            f"**{deal.name}**  \n{deal.customer} · {stage_shown(deal.stage)}  \n"
            + _("💰 {amount} · 📅 close {day}").format(
                amount=money_in(deal.amount, deal.currency), day=on_day(deal.expected_close)
            )
        )
        if deal.next_step and deal.next_step_due:
            late = deal.next_step_due < today
            st.caption(
                (
                    _("Next: {step} (due {day} ⏰)") if late else _("Next: {step} (due {day})")
                ).format(step=deal.next_step, day=on_day(deal.next_step_due))
            )
        elif deal.next_step:
            st.caption(_("Next: {step}").format(step=deal.next_step))
        else:
            st.caption(_("No next step: log an activity and set the next follow-up."))
        buttons = st.container(horizontal=True, gap="small")
        can_move = deal.can_edit and deal.next_stage_id is not None and not deal.next_is_won
        if can_move and buttons.button(
            f"➡️ {stage_shown(deal.next_stage)}", key=f"my_day_move_{deal.id}", type="primary"
        ):
            stage_id, stage = deal.next_stage_id, deal.next_stage

            def move(session, deal=deal, stage_id=stage_id):
                deals.move_deal(
                    session,
                    load_actor(session, actor.id),
                    deal.id,
                    DealMove(to_stage_id=stage_id, seen_version=deal.version),
                )

            run_action(move, _("{deal} moved to {stage}.").format(deal=deal.name, stage=stage))
        label = _("🏆 Mark won…") if deal.can_edit and deal.next_is_won else _("Open")
        if buttons.button(label, key=f"my_day_open_{deal.id}"):
            st.session_state[OPEN_KEY] = deal.id
            st.rerun()


def cash_card(deal: CashDeal, today: date) -> None:
    """A won deal waiting for its next lead-to-cash step, with the form to record it."""
    actor = current_actor()
    step = deal.next_cash_step
    where = _(CASH_NOW.get(deal.cash_status, CASH_NOW[None]))
    with st.container(border=True, key=f"my_day_cash_{deal.id}"):
        st.markdown(
            f"**{deal.name}**  \n"
            + _("{customer} · won {day} · {amount}").format(
                customer=deal.customer,
                day=on_day(deal.closed_on) if deal.closed_on else "–",
                amount=money_in(deal.amount, deal.currency),
            )
            + f"  \n{where}"
        )
        if not deal.can_edit:
            return
        with st.form(f"my_day_cash_form_{deal.id}", border=False):
            on = st.date_input(
                _(CASH_ON[step]),
                value=today,
                max_value=today,
                key=f"my_day_cash_on_{deal.id}",
            )
            amount = st.number_input(
                _("Amount ({currency})").format(currency=deal.currency),
                min_value=0.0,
                value=float(deal.suggested_amount),
                step=100.0,
                key=f"my_day_cash_amount_{deal.id}",
            )
            submitted = st.form_submit_button(_(CASH_RECORD[step]), width="stretch", type="primary")
        if submitted:

            def record(session):
                data = CashStep(
                    step=step, on=on, amount=round(amount, 2), seen_version=deal.version
                )
                deals.record_cash_step(session, load_actor(session, actor.id), deal.id, data)

            run_action(record, _(CASH_DONE[step]).format(deal=deal.name))


actor = current_actor()
today = clock.today()
opened = st.session_state.get(OPEN_KEY)

if opened is not None:
    show_flash(f"my_day:{opened}")
    if st.button(_("← My day"), key="my_day_back"):
        st.session_state.pop(OPEN_KEY, None)
        st.rerun()
    render_deal(actor, opened, key="my_day", compact=True)
    st.stop()

show_flash("my_day")
st.title(_("My day"))
whose = actor.id
if actor.role == Role.MANAGER and (reps := my_reps(actor.id)):
    people = {actor.id: _("My own")}
    for person_id, name in reps:
        shown = set(people.values())
        people[person_id] = name if name not in shown else f"{name} ({person_id})"
    picked = st.selectbox(
        _("Whose day"), list(people), format_func=lambda pid: people[pid], key="my_day_whose"
    )
    whose = picked if picked is not None else actor.id
try:
    day = load_day(actor.id, whose, today)
except DomainError as exc:
    st.error(str(exc))
    st.stop()

today_text = (
    format_date(today, format="full", locale=babel_locale())
    if is_chinese()
    else f"{today:%A %d %B}"
)
st.markdown(
    _("Hello, {name}. It is **{today}**.").format(name=actor.name.split()[0], today=today_text)
    + f"  \n{quarter_line(day)}"
)
if day.person_id != actor.id:
    st.caption(
        _("You are looking at the day of {person}; what you change is recorded as yours.").format(
            person=day.person
        )
    )

st.subheader(_("Today"))
todo = [*day.planned_today, *day.overdue, *day.due_today]
if not todo:
    st.info(
        _(
            "Nothing is due today. Follow-ups you add on a deal or a customer, or set when you "
            "log an activity, show here on the day they are due; overdue ones stay until done."
        )
    )
if day.planned_today:
    st.caption(_("Visits and meetings planned today: {n}").format(n=len(day.planned_today)))
for row in day.planned_today:
    follow_up_card(row, today)
if day.overdue or day.due_today:
    st.caption(
        _("Follow-ups: {overdue} overdue, {due} due today").format(
            overdue=len(day.overdue), due=len(day.due_today)
        )
    )
for row in [*day.overdue, *day.due_today]:
    follow_up_card(row, today)

st.subheader(_("Closing this month"))
if not day.closing_this_month:
    st.info(
        _(
            "No open deal of yours is expected to close this month. Deals with an expected "
            "close this month show here with their next step; change a close date on My deals."
        )
    )
for deal in day.closing_this_month:
    deal_card(deal, today)

st.subheader(_("Won, waiting for cash"))
if not day.awaiting_cash:
    st.info(
        _(
            "No won deal is waiting for its contract, invoice or payment. A deal you win stays "
            "here until its payment is recorded."
        )
    )
show_all_cash = st.session_state.get("my_day_all_cash", False)
for cash in day.awaiting_cash if show_all_cash else day.awaiting_cash[:CASH_SHOWN]:
    cash_card(cash, today)
more_cash = not show_all_cash and len(day.awaiting_cash) > CASH_SHOWN
if more_cash and st.button(
    _("Show all {n} won deals waiting for cash").format(n=len(day.awaiting_cash))
):
    st.session_state["my_day_all_cash"] = True
    st.rerun()

st.subheader(_("My alerts"))
if not day.alerts:
    st.caption(
        _(
            "No open alerts about these deals and follow-ups (overdue follow-ups are listed "
            "under Today). The Alerts page lists every alert you may see, your team's included."
        )
    )
for alert in day.alerts[:5]:
    st.markdown(f"{SEVERITY_ICON.get(alert.severity, '')} **{alert.subject}**: {alert.message}")
if len(day.alerts) > 5:
    more = len(day.alerts) - 5
    st.caption(
        ngettext(
            "{n} more alert is on the Alerts page.", "{n} more alerts are on the Alerts page.", more
        ).format(n=more)
    )
if day.alerts:
    st.page_link(ALERTS_PAGE, label=_("Open the Alerts page"), icon="🚨")

if todo:
    with st.expander(_("Download today's follow-ups")):
        download_buttons(follow_ups.follow_ups_frame(todo), f"my-day-{today}", key="my_day_dl")
