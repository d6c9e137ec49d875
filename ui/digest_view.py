"""A person's "this week": the weekly digest's content in the app (Home), so nothing depends on
the email alone. The content is built in core (core.performance.digests)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core.i18n import _, ngettext, period_name
from core.models import Role
from core.performance.digests.content import GETS_AREA_DIGESTS, WeeklyDigest
from core.performance.digests.services import this_week
from ui.data import cached, read
from ui.downloads import download_buttons
from ui.format import day, money, percent

ALERTS_SHOWN = 5


@cached("deals", "targets", "org", "settings", "alerts", "activities")
def weekly_content(person_id: int, today: date) -> WeeklyDigest | None:
    from core.org.access import load_actor

    with read() as session:
        return this_week(session, load_actor(session, person_id), today)


def _rows_table(digest: WeeklyDigest) -> pd.DataFrame:
    first = _("Rep") if digest.role == Role.MANAGER else _("Region")
    return pd.DataFrame(
        [
            {
                first: row.label,
                _("Target"): money(row.target),
                _("Won"): money(row.won),
                _("Attainment"): percent(row.attainment),
                _("Pace"): percent(row.pace),
                _("Gap"): money(row.gap),
                _("Probability"): percent(row.probability),
            }
            for row in digest.rows
        ]
    )


def show_this_week(person_id: int, role: Role, today: date) -> None:
    """The "this week" section: the quarter's figures, the ranked parts, deals, alerts (for
    those who get a weekly digest: reps, managers and directors)."""
    if role not in GETS_AREA_DIGESTS:
        return
    digest = weekly_content(person_id, today)
    st.subheader(_("This week"))
    if digest is None:
        st.info(
            _(
                "Nothing to report this week: no target, no win, no open deal and no alert in "
                "your area. Your weekly digest will appear here once there is."
            )
        )
        return
    head = digest.head
    st.caption(
        _("The weekly digest of {day}: where {area} stands in {period}.").format(
            day=day(digest.today), area=head.label, period=period_name(digest.period)
        )
    )
    pace, gap, chance = st.columns(3)
    pace.metric(_("Pace"), percent(head.pace), help=_("Won ÷ expected by today"))
    gap.metric(_("Gap"), money(head.gap), help=_("Target − won"))
    chance.metric(
        _("Probability of making it"),
        percent(head.probability),
        help=_("The share of simulated quarters in which the open deals close the gap"),
    )
    if digest.rows:
        st.markdown(
            _("**Reps, best attainment first**")
            if digest.role == Role.MANAGER
            else _("**Regions**")
        )
        table = _rows_table(digest)
        st.dataframe(table, hide_index=True, width="stretch")
        download_buttons(
            pd.DataFrame([r.model_dump() for r in digest.rows]),
            f"this-week-{digest.period}",
            key="this_week",
        )
    if digest.role == Role.REP:
        st.markdown(_("**Deals to close this month**"))
        if digest.deals:
            for deal in digest.deals:
                st.markdown(
                    _(
                        "[{deal}](/pipeline?deal={id}) · {customer} · {amount} {currency} · {close}"
                    ).format(
                        deal=deal.name,
                        id=deal.id,
                        customer=deal.customer,
                        amount=money(deal.amount),
                        currency=deal.currency,
                        close=day(deal.expected_close),
                    )
                )
        else:
            st.caption(_("No open deal of yours is expected to close this month."))
    st.markdown(_("**Your alerts**") if digest.role == Role.REP else _("**The biggest risks**"))
    if not digest.alerts:
        st.caption(_("Nothing needs your attention."))
    for alert in digest.alerts[:ALERTS_SHOWN]:
        st.markdown(
            _("- **{rule}**: {message}").format(rule=alert.rule_label, message=alert.message)
        )
    hidden = len(digest.alerts) - ALERTS_SHOWN
    if hidden > 0:
        st.caption(
            ngettext(
                "{n} more alert is on the Alerts page.",
                "{n} more alerts are on the Alerts page.",
                hidden,
            ).format(n=hidden)
        )
