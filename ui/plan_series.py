"""The plan series of the Targets page. A fiscal year has one plan per measure (revenue, units,
visits, deals created) and, for revenue and units, one per product line; the page works on the
series chosen in its "Plan" box. Revenue is money; the other measures count whole things and
never show a currency. Directors break a company revenue or units plan down by product line
and name a plan's stretch levels here (the rules are core.plans.allocation's)."""

from __future__ import annotations

import re
from decimal import Decimal

import pandas as pd
import streamlit as st

from core import planning
from core.errors import DomainError
from core.i18n import N_, _, ngettext, number, period_name
from core.models import Actor, Measure, PlanStatus, measure_of
from core.plans import line_plans, stretch, views
from core.plans import lines as plan_lines
from core.plans.cells import PlanInfo
from core.plans.rules import OPEN
from ui.data import cached, read, save
from ui.downloads import download_buttons
from ui.format import money

SERIES_KEY = "targets_series"
Series = tuple[str, str]
"""(measure, product line); the line is empty for the company's own plan of every line."""
COMPANY_REVENUE: Series = (Measure.REVENUE.value, "")
TITLES = {
    Measure.REVENUE: N_("Revenue"),
    Measure.UNITS: N_("Units"),
    Measure.VISITS: N_("Visits"),
    Measure.DEALS_CREATED: N_("Deals created"),
}
STATUS_NAMES = {
    PlanStatus.DRAFT: N_("draft"),
    PlanStatus.SUBMITTED: N_("submitted"),
    PlanStatus.APPROVED: N_("approved"),
    PlanStatus.LOCKED: N_("locked"),
}
"""A plan's status in a sentence ("FY2027 v1 is approved: ...")."""
LINE_METHODS = {
    "history": N_("Each line's share of the last 12 months"),
    "equal": N_("Equally"),
    "manual": N_("My own shares (percentages)"),
}


@cached("targets")
def series_of_year(year: int) -> list[Series]:
    with read() as session:
        return views.plan_series(session, year)


@cached("settings", "deals")
def catalogue_lines() -> list[str]:
    with read() as session:
        return plan_lines.product_lines(session)


@cached("targets", "deals", "settings")
def line_weights(
    year: int, measure: str, method: str, shares: tuple[tuple[str, Decimal], ...] | None
) -> dict[str, Decimal]:
    """Each product line's weight for breaking a plan down (read once a minute)."""
    with read() as session:
        return line_plans.line_shares(
            session, year, measure, method, dict(shares) if shares is not None else None
        )


def series_label(series: Series) -> str:
    """What the Plan box shows: "Revenue", "Units", "Revenue · Platform"."""
    measure, line = series
    title = _(TITLES[measure_of(measure)])
    return _("{measure} · {line}").format(measure=title, line=line) if line else title


def choose_series(column, year: int, *, may_create: bool) -> Series:
    """The "Plan" box beside the year: the year's series with a plan, the company revenue plan
    first; directors may also pick a company measure that has no plan yet, to create it. A
    change of year or series shows the chosen series' newest version."""
    options = list(series_of_year(year))
    if may_create:
        options += [(m.value, "") for m in Measure if (m.value, "") not in options]
    if COMPANY_REVENUE not in options:
        options.append(COMPANY_REVENUE)
    order = [m.value for m in Measure]
    options.sort(key=lambda s: (s[1] != "", order.index(s[0]), s[1]))
    if st.session_state.get(SERIES_KEY) not in options:
        st.session_state[SERIES_KEY] = options[0]
    chosen = column.selectbox(_("Plan"), options, format_func=series_label, key=SERIES_KEY)
    if st.session_state.get("targets_series_of") != (year, chosen):
        st.session_state.pop("targets_version", None)
        st.session_state["targets_series_of"] = (year, chosen)
    return chosen


def of(series: Series | PlanInfo) -> dict[str, str]:
    """The keyword arguments that pick a series in core.plans (measure, product_line)."""
    if isinstance(series, PlanInfo):
        return {"measure": series.measure.value, "product_line": series.product_line}
    return {"measure": series[0], "product_line": series[1]}


def step(series: Series) -> int:
    """What the company target's + and − buttons add: 100,000 of money, 100 of a count."""
    return 100_000 if series[0] == Measure.REVENUE else 100


def figure(value: Decimal | float | int | None, measure: object) -> str:
    """A target as people read it: money for revenue, a count with its noun otherwise
    ("6,000,000"; "30,000 units"; "1 visit")."""
    chosen = measure_of(measure)
    if chosen == Measure.REVENUE or value is None:
        return money(value)
    count = int(value)
    shown = number(count)
    if chosen == Measure.UNITS:
        return ngettext("{n} unit", "{n} units", count).format(n=shown)
    if chosen == Measure.VISITS:
        return ngettext("{n} visit", "{n} visits", count).format(n=shown)
    return ngettext("{n} deal created", "{n} deals created", count).format(n=shown)


def plan_name(year: int, series: Series) -> str:
    """The year's plan of a series in a sentence: "the FY2027 plan", "the FY2027 units plan",
    "the FY2027 revenue plan of Platform"."""
    measure, line = series
    chosen = measure_of(measure)
    fy = period_name(f"FY{year}")
    if line:
        if chosen == Measure.UNITS:
            return _("the {year} units plan of {line}").format(year=fy, line=line)
        return _("the {year} revenue plan of {line}").format(year=fy, line=line)
    if chosen == Measure.UNITS:
        return _("the {year} units plan").format(year=fy)
    if chosen == Measure.VISITS:
        return _("the {year} visits plan").format(year=fy)
    if chosen == Measure.DEALS_CREATED:
        return _("the {year} deals created plan").format(year=fy)
    return _("the {year} plan").format(year=fy)


def enter_target_message(year: int, series: Series) -> str:
    """What the form asks for before it can preview the breakdown."""
    if series == COMPANY_REVENUE:
        return _("Enter {year}'s company target to see how it would be broken down.").format(
            year=period_name(f"FY{year}")
        )
    return _("Enter the company target of {plan} to see how it would be broken down.").format(
        plan=plan_name(year, series)
    )


def allocated_message(year: int, series: Series, allocated: Decimal | int) -> str:
    """The confirmation of an allocation: "FY2027 plan allocated: 6,000,000."."""
    if series == COMPANY_REVENUE:
        return _("{year} plan allocated: {amount}.").format(
            year=period_name(f"FY{year}"), amount=money(Decimal(allocated))
        )
    name = plan_name(year, series)
    return _("{plan} is allocated: {amount}.").format(
        plan=f"{name[0].upper()}{name[1:]}", amount=figure(allocated, series[0])
    )


def header_metrics(info: PlanInfo, badge: str) -> None:
    """The plan's figure, what is allocated, its status and who approved it."""
    target, allocated, status, approved = st.columns(4)
    target.metric(_("Company target"), figure(info.company_target, info.measure))
    allocated.metric(
        _("Allocated"),
        figure(info.allocated, info.measure),
        help=_("What the company row adds up to"),
    )
    status.metric(info.label, badge)
    approved.metric(_("Approved by"), info.approved_by or "—")


def no_plan_message(year: int, series: Series) -> str:
    """The empty state of a series without a plan."""
    measure, line = series
    chosen = measure_of(measure)
    fy = period_name(f"FY{year}")
    if chosen == Measure.REVENUE and not line:
        return _(
            "There is no {year} plan yet. A director sets the company target above and it is "
            "broken down to every region, rep and month at once."
        ).format(year=fy)
    if line:
        if chosen == Measure.UNITS:
            text = _(
                "No units plan of {line} for {year} yet: a director breaks the company plan "
                "down by product line."
            )
        else:
            text = _(
                "No revenue plan of {line} for {year} yet: a director breaks the company plan "
                "down by product line."
            )
        return text.format(line=line, year=fy)
    if chosen == Measure.UNITS:
        return _("No units plan for {year} yet: a director creates one above.").format(year=fy)
    if chosen == Measure.VISITS:
        return _("No visits plan for {year} yet: a director creates one above.").format(year=fy)
    return _("No deals created plan for {year} yet: a director creates one above.").format(year=fy)


def stop_without_plan(year: int, series: Series) -> None:
    """A series without a plan: say so and stop the page."""
    st.info(no_plan_message(year, series))
    st.stop()


def file_name(info: PlanInfo, tail: str = "") -> str:
    """A download's name: plan-FY2027-v1, plan-FY2027-units-v1, plan-FY2027-revenue-Platform-v1."""
    series = "" if info.series == Measure.REVENUE else "-" + re.sub(r"\W+", "-", info.series)
    return f"plan-FY{info.fiscal_year}{series.rstrip('-')}{tail or f'-v{info.version}'}"


def is_company_revenue(info: PlanInfo) -> bool:
    """Commitments (bottom-up) and budget rates belong to the company's revenue plan."""
    return info.measure == Measure.REVENUE and not info.product_line


# --------------------------------------------------------------------------- stretch levels


def stretch_text(info: PlanInfo | None) -> str:
    """A plan's stretch levels as the input shows them: "110, 125"."""
    if info is None:
        return ""
    return ", ".join(format(v.normalize(), "f") for v in info.stretch_levels)


def stretch_values(text: str) -> list[str]:
    """The percentages typed into the stretch-levels input (commas, semicolons or spaces
    between them); core checks each."""
    return [part for part in re.split(r"[,;\s]+", text.replace("%", " ")) if part]


def stretch_input(column) -> list[str]:
    """The form's "Stretch levels (%)" input (key plan_stretch)."""
    text = column.text_input(
        _("Stretch levels (%)"),
        key="plan_stretch",
        placeholder="110, 125",
        help=_("Targets above the plan, marked on the attainment charts; leave empty for none."),
    )
    return stretch_values(text or "")


def stretch_levels_control(actor: Actor, info: PlanInfo) -> None:
    """The plan's stretch levels in words; a director changes them on a draft or submitted
    plan without allocating again."""
    levels = stretch_text(info)
    if not info.permissions.can_allocate or info.status not in OPEN:
        if levels:
            st.caption(
                _("Stretch levels of {plan}: {levels} % of the target.").format(
                    plan=info.label, levels=levels
                )
            )
        return
    with st.expander(_("🚀 Stretch levels of {plan}").format(plan=info.label)):
        st.caption(
            _(
                "A stretch level is a target above the plan (110 means 110 % of it); the "
                "attainment charts mark each one."
            )
        )
        key = f"stretch_{info.id}_{info.lock_version}"
        text = st.text_input(_("Stretch levels (%)"), value=levels, placeholder="110, 125", key=key)
        if st.button(_("Save the stretch levels"), key=f"{key}_save"):
            save(
                lambda s: stretch.set_stretch_levels(
                    s, actor, info.id, stretch_values(text), expected_lock_version=info.lock_version
                ),
                lambda saved: (
                    _("{plan} now has the stretch levels {levels} %.").format(
                        plan=saved.label, levels=stretch_text(saved)
                    )
                    if saved.stretch_levels
                    else _("{plan} has no stretch levels.").format(plan=saved.label)
                ),
                affects={"targets"},
            )


# --------------------------------------------------------------------------- product lines


def _manual_shares(lines: list[str], key: str) -> dict[str, Decimal]:
    """A data editor of the lines' percentages with a running total."""
    even = (Decimal(100) / len(lines)).quantize(Decimal("0.01"))
    start = [even] * (len(lines) - 1) + [Decimal(100) - even * (len(lines) - 1)]
    base = pd.DataFrame({"Product line": lines, "Share (%)": [float(v) for v in start]})
    edited = st.data_editor(
        base,
        hide_index=True,
        width="stretch",
        disabled=["Product line"],
        column_config={
            "Product line": st.column_config.TextColumn(_("Product line")),
            "Share (%)": st.column_config.NumberColumn(
                _("Share (%)"), min_value=0.0, max_value=100.0, step=0.01, format="%.2f"
            ),
        },
        key=key,
    )
    shares = {
        line: Decimal(0) if pd.isna(v) else Decimal(str(v))
        for line, v in zip(edited["Product line"], edited["Share (%)"])
    }
    total = sum(shares.values(), Decimal(0))
    if total == 100:
        st.caption(_("The shares add up to 100 %."))
    else:
        st.warning(
            _("The shares add up to {total} %; they must add up to exactly 100 %.").format(
                total=f"{total:.2f}"
            )
        )
    return shares


LINE_COLUMNS = [N_("Product line"), N_("Target"), N_("Share of the plan")]
"""The line preview's headers: the download keeps them in English, the screen translates them."""


def _line_preview(info: PlanInfo, method: str, shares: dict[str, Decimal] | None) -> bool:
    """Each line's figure if the plan were broken down now; False when it cannot be."""
    try:
        given = tuple(shares.items()) if shares is not None else None
        weights = line_weights(info.fiscal_year, info.measure.value, method, given)
        cut = planning.allocate(info.company_target, weights)
    except (DomainError, planning.PlanningError) as exc:
        st.error(str(exc))
        return False
    frame = pd.DataFrame(
        {
            "Product line": list(cut),
            "Target": [figure(v, info.measure) for v in cut.values()],
            "Share of the plan": [
                f"{v / info.company_target * 100:.1f} %" if info.company_target else "–"
                for v in cut.values()
            ],
        }
    )
    shown = frame.rename(columns={c: _(c) for c in LINE_COLUMNS})
    st.dataframe(shown, hide_index=True, width="stretch")
    download_buttons(frame, file_name(info, "-by-product-line"), key=f"lines_{info.id}")
    return True


def break_down_section(actor: Actor, info: PlanInfo) -> None:
    """Directors break the company's revenue or units plan down by product line: each line
    gets a draft plan of its own, which the Plan box then offers."""
    if (
        not info.permissions.can_allocate
        or info.product_line
        or info.measure not in (Measure.REVENUE, Measure.UNITS)
    ):
        return
    # the lines' preview is computed only while the section is open (opening it reruns the
    # page); closed, the button is still there and the break-down checks its own input
    section = st.expander(
        _("🧩 Break down by product line"), key=f"line_break_open_{info.id}", on_change="rerun"
    )
    with section:
        lines = catalogue_lines()
        if not lines:
            st.info(
                _(
                    "The catalogue has no active product lines yet: add products with a product "
                    "line to break the plan down by them."
                )
            )
            return
        if info.measure == Measure.UNITS:
            text = _(
                "Each product line gets a draft units plan of its own, its share of {target}, "
                "allocated to regions, reps and months the way {plan} was. The lines add up "
                "exactly to the plan."
            )
        else:
            text = _(
                "Each product line gets a draft revenue plan of its own, its share of {target}, "
                "allocated to regions, reps and months the way {plan} was. The lines add up "
                "exactly to the plan."
            )
        st.caption(text.format(target=figure(info.company_target, info.measure), plan=info.label))
        existing = [line for m, line in series_of_year(info.fiscal_year) if m == info.measure]
        if any(existing):
            st.caption(
                _(
                    "Lines that already have a plan are allocated again (an approved or locked "
                    "one gets a new draft version): {lines}."
                ).format(lines=", ".join(line for line in existing if line))
            )
        method = st.radio(
            _("Share the plan among the product lines"),
            list(LINE_METHODS),
            format_func=lambda m: _(LINE_METHODS[m]),
            horizontal=True,
            key=f"line_method_{info.id}",
        )
        shares = _manual_shares(lines, f"line_shares_{info.id}") if method == "manual" else None
        if section.open and not _line_preview(info, method, shares):
            return
        if st.button(_("Break down by product line"), type="primary", key=f"line_break_{info.id}"):
            save(
                lambda s: line_plans.break_by_product_line(s, actor, info.id, method, shares),
                lambda plans: ngettext(
                    "{plan} is broken down into {n} product-line plan: {lines}. Choose it in "
                    "the Plan box to edit it.",
                    "{plan} is broken down into {n} product-line plans: {lines}. Choose one in "
                    "the Plan box to edit it.",
                    len(plans),
                ).format(
                    plan=info.label, n=len(plans), lines=", ".join(p.product_line for p in plans)
                ),
                affects={"targets"},
            )
