"""Alerts: execution risks in my area with the figures behind them; acknowledge or snooze."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from core.errors import DomainError
from core.org.access import load_actor
from core.performance import alerts
from ui import performance_charts as charts
from ui.auth import current_actor
from ui.data import read, write
from ui.downloads import download_buttons

EDITOR_KEY = "alerts_editor"
SEVERITY_ICON = {"high": "🔴 high", "medium": "🟠 medium", "low": "⚪ low"}
AREA = {"rep": "your own deals, customers and figures", "manager": "the regions you manage"}


@st.cache_data(ttl=60, show_spinner=False)
def load_alerts(person_id: int, today: date, include_hidden: bool) -> list[alerts.Alert]:
    with read() as session:
        actor = load_actor(session, person_id)
        return alerts.current_alerts(session, actor, today=today, include_hidden=include_hidden)


@st.cache_data(ttl=60, show_spinner=False)
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

if message := st.session_state.pop("alerts_done", None):
    st.success(message)

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
    open_count = sum(a.state == "open" for a in found)
    high = sum(a.severity == "high" and a.state == "open" for a in found)
    a_col, b_col, c_col = st.columns(3)
    a_col.metric("Open alerts", f"{open_count:,}")
    b_col.metric("High severity", f"{high:,}")
    c_col.metric("People concerned", f"{len({a.owner for a in found}):,}")
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
                "Owner": a.owner,
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
    ack_col, until_col, snooze_col, reopen_col = st.columns([2, 2, 2, 2])
    acknowledge = ack_col.button("✅ Acknowledge selected", key="alerts_ack")
    until = until_col.date_input(
        "Snooze until",
        value=today + timedelta(days=7),
        min_value=today + timedelta(days=1),
        max_value=today + timedelta(days=90),
        key="alerts_until",
        label_visibility="collapsed",
    )
    snooze = snooze_col.button("💤 Snooze selected", key="alerts_snooze")
    reopen = reopen_col.button("↩️ Reopen selected", key="alerts_reopen")
    if acknowledge or snooze or reopen:
        try:
            with write() as session:
                if acknowledge:
                    done = alerts.acknowledge(session, actor, chosen)
                    verb = "acknowledged"
                elif snooze:
                    done = alerts.snooze(session, actor, chosen, until, today=today)
                    verb = f"snoozed until {until}"
                else:
                    done = alerts.reopen(session, actor, chosen)
                    verb = "reopened"
        except (DomainError, ValidationError) as exc:
            st.error(str(exc))
        else:
            st.session_state.pop(EDITOR_KEY, None)
            st.session_state["alerts_done"] = f"{done} alert(s) {verb}."
            st.rerun()
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
            try:
                with write() as session:
                    alerts.set_thresholds(session, actor, values)
            except (DomainError, ValidationError) as exc:
                st.error(str(exc))
            else:
                st.success("Thresholds saved; alerts are worked out again with them.")
