"""Alerts: execution risks in my area with the figures behind them; acknowledge or snooze."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from core import clock
from core.i18n import N_, _, day, number
from core.org.access import load_actor
from core.performance import alerts
from ui import alert_counts
from ui import performance_charts as charts
from ui.auth import current_actor
from ui.data import cached, read, save
from ui.downloads import download_buttons
from ui.flash import show_flash

EDITOR_KEY = "alerts_editor"
SEVERITY_ICON = {"high": N_("🔴 high"), "medium": N_("🟠 medium"), "low": N_("⚪ low")}
ALL_RULES = "All rules"
INTRO = {
    "rep": N_(
        "Early warnings for your own deals, customers and figures, worked out from the live "
        "data. Acknowledge what you have handled, or snooze it for a while."
    ),
    "manager": N_(
        "Early warnings for the regions you manage, worked out from the live data. Acknowledge "
        "what you have handled, or snooze it for a while."
    ),
}
INTRO_COMPANY = N_(
    "Early warnings for the whole company, worked out from the live data. Acknowledge what "
    "you have handled, or snooze it for a while."
)
THRESHOLD_LABELS = {
    "pace_below": N_("Pace below"),
    "pace_after_share": N_("Pace after share"),
    "coverage_below": N_("Coverage below"),
    "stalled_no_activity_days": N_("Stalled no activity days"),
    "slipping_changes": N_("Slipping changes"),
    "neglected_days": N_("Neglected days"),
    "follow_up_overdue_days": N_("Follow up overdue days"),
}
THRESHOLD_HELP = {
    "pace_below": N_("Behind pace: won / expected to date below this ratio"),
    "pace_after_share": N_("Behind pace: only once this share of the quarter passed"),
    "coverage_below": N_("Low coverage: open pipeline below this many x the gap"),
    "stalled_no_activity_days": N_("Stalled deal: no activity on the deal for this many days"),
    "slipping_changes": N_(
        "Slipping deal (in Alerts and My deals): expected close moved at least this often"
    ),
    "neglected_days": N_("Neglected customer: no activity for this many days"),
    "follow_up_overdue_days": N_("Overdue follow-up: still open this many days after its due day"),
}
STATES = {"open": N_("open"), "acknowledged": N_("acknowledged"), "snoozed": N_("snoozed")}


def rule_name(rule: str, label: str | None = None) -> str:
    """A rule's name in the current language."""
    return _(alerts.RULES.get(rule, label or rule))


@cached("deals", "customers", "activities", "targets", "alerts", "settings", "org")
def load_alerts(
    person_id: int, today: date, include_hidden: bool, limit: int
) -> list[alerts.Alert]:
    with read() as session:
        actor = load_actor(session, person_id)
        return alerts.current_alerts(
            session,
            actor,
            today=today,
            include_hidden=include_hidden,
            limit_per_rule=limit,
        )


@cached("settings")
def load_thresholds() -> alerts.AlertThresholds:
    with read() as session:
        return alerts.thresholds(session)


actor = current_actor()
today = clock.today()
st.title(_("Alerts"))
st.caption(_(INTRO.get(actor.role.value, INTRO_COMPANY)))

show_flash("alerts")

left, right = st.columns([2, 3])
show_all = left.toggle(_("Also show acknowledged and snoozed"), key="alerts_show_all")
listed = alert_counts.LISTED_PER_RULE
found = load_alerts(actor.id, today, show_all, listed)
rule_choice = right.selectbox(
    _("Rule"),
    [ALL_RULES, *alerts.RULES],
    format_func=lambda r: _("All rules") if r == ALL_RULES else rule_name(r),
    key="alerts_rule",
)
if rule_choice != ALL_RULES:
    found = [a for a in found if a.rule == rule_choice]

if not found:
    st.success(_("No open alerts: nothing needs your attention right now."))
else:
    # The metrics, the chart and the table count the same alerts: the open ones, or with the
    # toggle on, the acknowledged and snoozed ones as well.
    open_count = sum(a.state == "open" for a in found)
    high = sum(a.severity == "high" for a in found)
    a_col, b_col, c_col = st.columns(3)
    if show_all:
        a_col.metric(
            _("Alerts shown"),
            number(len(found)),
            help=_("{open} open, {handled} acknowledged or snoozed").format(
                open=number(open_count), handled=number(len(found) - open_count)
            ),
        )
    elif rule_choice == ALL_RULES and (
        total := alert_counts.open_alert_count(actor.id, today)
    ) > len(found):
        a_col.metric(
            _("Open alerts"),
            number(total),
            help=_("{listed} listed below").format(listed=number(len(found))),
        )
        st.caption(
            _(
                "{listed} of the {total} open alerts are listed: each rule's first {limit} deals, "
                "reps or customers (the largest deals first). The other figures and the chart "
                "count the listed ones; the count beside Alerts in the navigation counts them all."
            ).format(listed=number(len(found)), total=number(total), limit=number(listed))
        )
    else:
        a_col.metric(_("Open alerts"), number(len(found)))
    b_col.metric(_("High severity"), number(high))
    c_col.metric(_("People concerned"), number(len({a.owner for a in found if a.owner})))
    if show_all:
        st.caption(
            _(
                "Counted with the acknowledged and snoozed alerts: {open} of the {shown} alerts "
                "shown are open."
            ).format(open=number(open_count), shown=number(len(found)))
        )
    counts = (
        pd.DataFrame(
            [{"rule_label": rule_name(a.rule, a.rule_label), "severity": a.severity} for a in found]
        )
        .value_counts()
        .reset_index(name="count")
    )
    st.altair_chart(charts.alerts_by_rule(counts), width="stretch")

    table = pd.DataFrame(
        [
            {
                "Select": False,
                "Severity": _(SEVERITY_ICON[a.severity]),
                "Rule": rule_name(a.rule, a.rule_label),
                "Subject": a.subject,
                "What": a.message,
                "Owner": a.owner or "–",
                "Region": a.region,
                "State": _(STATES.get(a.state, a.state))
                if a.snoozed_until is None
                else _("snoozed until {day}").format(day=day(a.snoozed_until)),
            }
            for a in found
        ]
    )
    edited = st.data_editor(
        table,
        hide_index=True,
        width="stretch",
        disabled=[c for c in table.columns if c != "Select"],
        column_config={
            "Select": st.column_config.CheckboxColumn("✓", help=_("Choose alerts to act on")),
            "Severity": st.column_config.TextColumn(_("Severity"), width="small"),
            "Rule": st.column_config.TextColumn(_("Rule")),
            "Subject": st.column_config.TextColumn(_("Subject"), width="medium"),
            "What": st.column_config.TextColumn(_("What"), width="large"),
            "Owner": st.column_config.TextColumn(_("Owner")),
            "Region": st.column_config.TextColumn(_("Region")),
            "State": st.column_config.TextColumn(_("State")),
        },
        key=EDITOR_KEY,
    )
    chosen = [found[i].key for i in edited.index[edited["Select"]]]
    ack_col, until_col, snooze_col, reopen_col = st.columns(4, vertical_alignment="bottom")
    acknowledge = ack_col.button(_("✅ Acknowledge selected"), key="alerts_ack")
    until = until_col.date_input(
        _("Snooze until"),
        value=today + timedelta(days=7),
        min_value=today + timedelta(days=1),
        max_value=today + timedelta(days=90),
        key="alerts_until",
    )
    snooze = snooze_col.button(_("💤 Snooze selected"), key="alerts_snooze")
    # Only acknowledged or snoozed alerts can be reopened: they are listed with the toggle on.
    reopen = show_all and reopen_col.button(_("↩️ Reopen selected"), key="alerts_reopen")
    if acknowledge:
        save(
            lambda s: alerts.acknowledge(s, actor, chosen),
            lambda done: _("{n} alert(s) acknowledged.").format(n=number(done)),
            affects={"alerts"},
            forget=[EDITOR_KEY],
        )
    elif snooze:
        save(
            lambda s: alerts.snooze(s, actor, chosen, until, today=today),
            lambda done: _("{n} alert(s) snoozed until {day}.").format(
                n=number(done), day=day(until)
            ),
            affects={"alerts"},
            forget=[EDITOR_KEY],
        )
    elif reopen:
        save(
            lambda s: alerts.reopen(s, actor, chosen),
            lambda done: _("{n} alert(s) reopened.").format(n=number(done)),
            affects={"alerts"},
            forget=[EDITOR_KEY],
        )
    download_buttons(
        pd.DataFrame([{**a.model_dump(exclude={"figures"}), **a.figures} for a in found]).astype(
            str
        ),
        f"alerts-{today}",
    )

if actor.sees_everything:
    with st.expander(_("⚙️ Alert thresholds")):
        current = load_thresholds()
        with st.form("alert_thresholds"):
            values = {}
            for name, field in alerts.AlertThresholds.model_fields.items():
                value = getattr(current, name)
                values[name] = st.number_input(
                    _(THRESHOLD_LABELS.get(name, name.replace("_", " ").capitalize())),
                    value=value,
                    step=1 if isinstance(value, int) else 0.05,
                    help=_(THRESHOLD_HELP.get(name, field.description or "")),
                    key=f"threshold_{name}",
                )
            saved = st.form_submit_button(_("Save thresholds"), type="primary")
        if saved:
            save(
                lambda s: alerts.set_thresholds(s, actor, values),
                _("Thresholds saved; alerts are worked out again with them."),
                affects={"settings"},
            )
