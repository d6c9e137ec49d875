"""Alerts: execution risks in my area with the figures behind them; acknowledge or snooze."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from core.org.access import load_actor
from core.performance import alerts
from ui import performance_charts as charts
from ui.auth import current_actor
from ui.data import cached, read, save
from ui.downloads import download_buttons
from ui.flash import show_flash

EDITOR_KEY = "alerts_editor"
SEVERITY_ICON = {"high": "🔴 high", "medium": "🟠 medium", "low": "⚪ low"}
AREA = {"rep": "your own deals, customers and figures", "manager": "the regions you manage"}


@cached("deals", "customers", "activities", "targets", "alerts", "settings", "org")
def load_alerts(person_id: int, today: date, include_hidden: bool) -> list[alerts.Alert]:
    with read() as session:
        actor = load_actor(session, person_id)
        return alerts.current_alerts(session, actor, today=today, include_hidden=include_hidden)


@cached("settings")
def load_thresholds() -> alerts.AlertThresholds:
    with read() as session:
        return alerts.thresholds(session)


actor = current_actor()
today = date.today()
st.title("Alerts")
st.caption(
    f"Early warnings for {AREA.get(actor.role.value, 'the whole company')}, worked out from "
    "the live data. Acknowledge what you have handled, or snooze it for a while."
)

show_flash("alerts")

left, right = st.columns([2, 3])
show_all = left.toggle("Also show acknowledged and snoozed", key="alerts_show_all")
found = load_alerts(actor.id, today, show_all)
rule_choice = right.selectbox(
    "Rule",
    ["All rules", *alerts.RULES],
    format_func=lambda r: alerts.RULES.get(r, r),
    key="alerts_rule",
)
if rule_choice != "All rules":
    found = [a for a in found if a.rule == rule_choice]

if not found:
    st.success("No open alerts: nothing needs your attention right now.")
else:
    # The metrics, the chart and the table count the same alerts: the open ones, or with the
    # toggle on, the acknowledged and snoozed ones as well.
    open_count = sum(a.state == "open" for a in found)
    high = sum(a.severity == "high" for a in found)
    a_col, b_col, c_col = st.columns(3)
    if show_all:
        a_col.metric(
            "Alerts shown",
            f"{len(found):,}",
            help=f"{open_count:,} open, {len(found) - open_count:,} acknowledged or snoozed",
        )
    else:
        a_col.metric("Open alerts", f"{len(found):,}")
    b_col.metric("High severity", f"{high:,}")
    c_col.metric("People concerned", f"{len({a.owner for a in found if a.owner}):,}")
    if show_all:
        st.caption(
            f"Counted with the acknowledged and snoozed alerts: {open_count:,} of the "
            f"{len(found):,} alerts shown are open."
        )
    counts = (
        pd.DataFrame([{"rule_label": a.rule_label, "severity": a.severity} for a in found])
        .value_counts()
        .reset_index(name="count")
    )
    st.altair_chart(charts.alerts_by_rule(counts), width="stretch")

    table = pd.DataFrame(
        [
            {
                "Select": False,
                "Severity": SEVERITY_ICON[a.severity],
                "Rule": a.rule_label,
                "Subject": a.subject,
                "What": a.message,
                "Owner": a.owner or "–",
                "Region": a.region,
                "State": a.state if a.snoozed_until is None else f"snoozed until {a.snoozed_until}",
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
            "Select": st.column_config.CheckboxColumn("✓", help="Choose alerts to act on"),
            "Severity": st.column_config.TextColumn("Severity", width="small"),
            "Subject": st.column_config.TextColumn("Subject", width="medium"),
            "What": st.column_config.TextColumn("What", width="large"),
        },
        key=EDITOR_KEY,
    )
    chosen = [found[i].key for i in edited.index[edited["Select"]]]
    ack_col, until_col, snooze_col, reopen_col = st.columns(4, vertical_alignment="bottom")
    acknowledge = ack_col.button("✅ Acknowledge selected", key="alerts_ack")
    until = until_col.date_input(
        "Snooze until",
        value=today + timedelta(days=7),
        min_value=today + timedelta(days=1),
        max_value=today + timedelta(days=90),
        key="alerts_until",
    )
    snooze = snooze_col.button("💤 Snooze selected", key="alerts_snooze")
    # Only acknowledged or snoozed alerts can be reopened: they are listed with the toggle on.
    reopen = show_all and reopen_col.button("↩️ Reopen selected", key="alerts_reopen")
    if acknowledge:
        save(
            lambda s: alerts.acknowledge(s, actor, chosen),
            lambda done: f"{done} alert(s) acknowledged.",
            affects={"alerts"},
            forget=[EDITOR_KEY],
        )
    elif snooze:
        save(
            lambda s: alerts.snooze(s, actor, chosen, until, today=today),
            lambda done: f"{done} alert(s) snoozed until {until}.",
            affects={"alerts"},
            forget=[EDITOR_KEY],
        )
    elif reopen:
        save(
            lambda s: alerts.reopen(s, actor, chosen),
            lambda done: f"{done} alert(s) reopened.",
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
    with st.expander("⚙️ Alert thresholds"):
        current = load_thresholds()
        with st.form("alert_thresholds"):
            values = {}
            for name, field in alerts.AlertThresholds.model_fields.items():
                value = getattr(current, name)
                values[name] = st.number_input(
                    name.replace("_", " ").capitalize(),
                    value=value,
                    step=1 if isinstance(value, int) else 0.05,
                    help=field.description,
                    key=f"threshold_{name}",
                )
            saved = st.form_submit_button("Save thresholds", type="primary")
        if saved:
            save(
                lambda s: alerts.set_thresholds(s, actor, values),
                "Thresholds saved; alerts are worked out again with them.",
                affects={"settings"},
            )
