"""Targets: the year's plan from the company figure down to every region, rep and month.

Directors set the company figure, adjust regions and approve; managers split their region among
sub-regions and reps while the plan is a draft; reps read their own targets and commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st
from babel.dates import format_date
from pydantic import ValidationError

from core import clock
from core.errors import DomainError
from core.i18n import N_, _, babel_locale, is_chinese, period_name
from core.models import Actor, PlanStatus, Role
from core.org.company import fiscal_start_month
from core.org.regions import load_region_tree
from core.periods import fiscal_year_of
from core.planning import reps_needed
from core.plans import allocation, manual_weights, views, workflow
from core.plans import bottom_up as commitments
from core.plans import files as plan_files
from core.plans import grid as plan_grid
from core.plans import stretch as plan_stretch
from core.plans.cells import PlanCells, PlanInfo, load_cells, plan_by_id
from core.plans.grid import RegionGrid, TargetEdits
from core.plans.rules import OPEN
from ui import plan_charts, plan_series
from ui.auth import current_actor
from ui.budget_rates import budget_rates_section
from ui.data import cached, read, save
from ui.downloads import download_buttons
from ui.flash import show_flash
from ui.format import money
from ui.plan_series import STATUS_NAMES
from ui.seasonality_editor import manual_season_editor, profiles_section, season_options

STATUS_BADGE = {
    PlanStatus.DRAFT: N_("📝 draft"),
    PlanStatus.SUBMITTED: N_("📨 submitted"),
    PlanStatus.APPROVED: N_("✅ approved"),
    PlanStatus.LOCKED: N_("🔒 locked"),
}
METHODS = {
    "equal": N_("Equal per rep"),
    "history": N_("Historical share (won, last 12 months)"),
    "potential": N_("Customer potential"),
    "pipeline": N_("Open pipeline"),
    "manual": N_("Manual weights (one per rep)"),
}
# A region is shared again by a method; figures by hand are typed into its grid instead.
RESPLIT_METHODS = {method: label for method, label in METHODS.items() if method != "manual"}
RAMPS = {"spread": N_("Spread it over the other reps"), "absorb": N_("Absorb it (plan less)")}
SEASONS = {
    "flat": N_("Flat"),
    "history": N_("From history"),
    "manual": N_("By hand (12 percentages)"),
}
# How core labels a plan's months ("Jan '27"); the screen shows them in the person's language.
GRID_MONTH = "%b '%y"


def month_text(month: date) -> str:
    """A plan month on screen: "Jan 2027" in English, "2027年1月" in Chinese."""
    return format_date(month, "y年M月" if is_chinese() else "MMM y", locale=babel_locale())


def month_header(label: str) -> str:
    """A grid's month column header in the person's language ("Jan '27" stays in English)."""
    if not is_chinese():
        return label
    try:
        month = datetime.strptime(label, GRID_MONTH).date()
    except ValueError:
        return label
    return format_date(month, "yy年M月", locale=babel_locale())


# --------------------------------------------------------------------------- cached reads


@cached("targets", "settings")
def years_and_start() -> tuple[list[int], int]:
    with read() as session:
        return views.plan_years(session), fiscal_start_month(session)


@cached("targets", "org")
def plan_header(actor: Actor, year: int, version: int | None, series) -> PlanInfo | None:
    with read() as session:
        try:
            return views.get_plan(session, actor, year, version, **plan_series.of(series))
        except DomainError:
            return None


@cached("targets", "org")
def plan_cells(plan_id: int) -> PlanCells:
    """The plan's cells, read once for the regions list, the grid, the gaps and the download
    (each reader below passes them to core, which decides what the user sees)."""
    with read() as session:
        return load_cells(session, plan_by_id(session, plan_id))


@cached("targets", "org")
def grid_of(actor: Actor, plan_id: int, region_id: int) -> RegionGrid:
    cells = plan_cells(plan_id)
    with read() as session:
        return plan_grid.region_grid(session, actor, plan_id, region_id, cells=cells)


@cached("targets", "org")
def whole_plan(actor: Actor, plan_id: int) -> pd.DataFrame:
    cells = plan_cells(plan_id)
    with read() as session:
        return views.plan_table(session, actor, plan_id, cells=cells)


@cached("targets", "org")
def gaps_of(actor: Actor, plan_id: int, region_id: int) -> pd.DataFrame:
    cells = plan_cells(plan_id)
    with read() as session:
        return commitments.topdown_vs_bottomup(session, actor, plan_id, region_id, cells=cells)


@cached("targets", "org")
def regions_to_show(actor: Actor, plan_id: int) -> list[tuple[int, str]]:
    cells = plan_cells(plan_id)
    with read() as session:
        return views.plan_regions(session, actor, plan_id, cells=cells)


def _preview(actor: Actor, plan_id: int, region_id: int, edits: TargetEdits) -> RegionGrid:
    with read() as session:
        return plan_grid.preview_edits(session, actor, plan_id, region_id, edits)


# --------------------------------------------------------------------------- pieces


def save_plan(action, done: str | Callable[[Any], str], *, new_version: bool = False) -> None:
    """Save a change to the plan (or to bottom-up figures); `new_version` when the change
    makes a new version, which the page then shows. `done` is the confirmation, or makes it
    from what the change returned."""
    save(action, done, affects={"targets"}, forget=["targets_version"] if new_version else ())


def month_frame(grid: RegionGrid) -> pd.DataFrame:
    frame = grid.rows.set_index("key").drop(columns=["kind"])
    for label in grid.months:
        frame[label] = frame[label].astype("Int64")
    frame["Total"] = frame["Total"].astype("Int64")
    frame.insert(0, "name", frame.pop("name"))
    frame["name"] = [
        ("🗂 " if kind == "region" else "👤 ") + name
        for kind, name in zip(grid.rows["kind"], grid.rows["name"])
    ]
    return frame


def edits_between(original: pd.DataFrame, edited: pd.DataFrame, months: list[str]):
    """The user's changes as TargetEdits: changed months, a changed total, a toggled lock."""
    cells: dict[str, dict[int, Decimal]] = {}
    totals: dict[str, Decimal] = {}
    locks: dict[str, bool] = {}
    for key in original.index:
        before, after = original.loc[key], edited.loc[key]
        for index, label in enumerate(months):
            if pd.isna(before[label]) and pd.isna(after[label]):
                continue
            if pd.isna(after[label]) or before[label] != after[label]:
                value = after[label]
                cells.setdefault(key, {})[index] = (
                    Decimal(-1) if pd.isna(value) else Decimal(str(value))
                )
        if key not in cells and not pd.isna(after["Total"]) and before["Total"] != after["Total"]:
            totals[key] = Decimal(str(after["Total"]))
        if bool(before["Locked"]) != bool(after["Locked"]):
            locks[key] = bool(after["Locked"])
    return TargetEdits(cells=cells, totals=totals, locks=locks)


def highlight_changes(after: pd.DataFrame, before: pd.DataFrame, columns: list[str]):
    """`after` styled with the cells that differ from `before` highlighted."""
    styles = pd.DataFrame("", index=after.index, columns=after.columns)
    for column in columns:
        differs = (after[column].fillna(-1) != before[column].fillna(-1)).to_numpy()
        styles[column] = ["background-color: #fff3cd" if d else "" for d in differs]
    return after.style.apply(lambda __: styles, axis=None)


def totals_frame(grid: RegionGrid) -> pd.DataFrame:
    rows = {f"Σ {grid.region_name}": [int(v) for v in grid.totals]}
    if grid.reps_total is not None and grid.plan.padding_pct:
        carry = _("Reps carry (+{pct}% padding)").format(pct=grid.plan.padding_pct)
        rows[carry] = [int(v) for v in grid.reps_total]
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=grid.months)
    frame["Total"] = frame.sum(axis=1)
    return frame


def form_defaults(info: PlanInfo | None) -> dict[str, object]:
    """The allocation form as the plan being allocated again was allocated; a year without a
    plan starts with an empty target, equal weights, flat months, no padding, ramp spread."""
    if info is None:
        return {
            "plan_target": None,
            "plan_method": "equal",
            "plan_season": "flat",
            "plan_padding": 0.0,
            "plan_ramp": "spread",
            "plan_stretch": "",
        }
    return {
        "plan_target": int(info.company_target),
        "plan_method": info.method if info.method in METHODS else "equal",
        "plan_season": info.seasonality or "flat",
        "plan_padding": float(info.padding_pct),
        "plan_ramp": info.ramp_mode if info.ramp_mode in RAMPS else "spread",
        "plan_stretch": plan_series.stretch_text(info),
    }


def start_form(year: int, info: PlanInfo | None) -> str:
    """Fill the form from the year's plan when the year or the plan changes (or when the
    widgets were forgotten after a visit to another page); returns a key suffix for the
    form's tables, so their edits belong to one year's plan."""
    defaults = form_defaults(info)
    marker = (year, st.session_state.get(plan_series.SERIES_KEY), info.id if info else None)
    if st.session_state.get("plan_form_for") != marker or any(
        key not in st.session_state for key in defaults
    ):
        st.session_state.update(defaults)
        st.session_state["plan_form_for"] = marker
    return f"{year}_{info.id if info else 'new'}"


def manual_weights_editor(actor, info: PlanInfo | None, suffix: str) -> dict[int, Decimal]:
    """A weight per rep (the manual method), starting from the plan's own weights."""
    with read() as session:
        table = manual_weights.weight_table(session, actor, info.manual_weights if info else None)
    st.caption(
        _(
            "Each rep carries their weight's share of the sum of all weights (2 carries twice "
            "as much as 1, 0 carries nothing); new hires still ramp up."
        )
    )
    edited = st.data_editor(
        table.drop(columns=["person_id"]).assign(weight=table["weight"].astype(float)),
        hide_index=True,
        width="stretch",
        disabled=["rep", "region"],
        column_config={
            "rep": st.column_config.TextColumn(_("Rep")),
            "region": st.column_config.TextColumn(_("Region")),
            "weight": st.column_config.NumberColumn(_("Weight"), min_value=0.0, step=0.5),
        },
        key=f"plan_weights_{suffix}",
    )
    return {
        int(pid): Decimal(str(weight)) for pid, weight in zip(table["person_id"], edited["weight"])
    }


def company_form(actor, year: int, info: PlanInfo | None, series) -> None:
    """The director's company figure with an immediate preview of the regions' share."""
    replacing = info is not None and not info.permissions.allocate_starts_new_version
    name = plan_series.plan_name(year, series)
    title = (
        _("🎯 Set the company target of {plan} and allocate").format(plan=name)
        if info is None
        else _("🎯 Allocate again")
    )
    suffix = start_form(year, info)
    # the preview is computed only while the form is open (opening it reruns the page)
    form = st.expander(
        title, expanded=info is None, key=f"plan_form_open_{suffix}", on_change="rerun"
    )
    with form:
        if replacing:
            st.caption(
                _(
                    "Allocating again replaces every figure of this draft, managers' changes "
                    "included."
                )
            )
        elif info is not None:
            st.caption(
                _("This starts version {new}; v{old} is kept.").format(
                    new=max(info.versions) + 1, old=info.version
                )
            )
        if info is not None and info.method in METHODS:
            st.caption(
                _(
                    "The form starts from how {plan} was allocated; change what you want to "
                    "allocate differently."
                ).format(plan=info.label)
            )
        elif info is not None:
            st.caption(
                _("{plan} was imported, not allocated; choose how to allocate it.").format(
                    plan=info.label
                )
            )
        left, middle, right = st.columns(3)
        target = left.number_input(
            _("Company target"), min_value=0, step=plan_series.step(series), key="plan_target"
        )
        method = middle.selectbox(
            _("Method"), list(METHODS), format_func=lambda m: _(METHODS[m]), key="plan_method"
        )
        seasons = season_options(SEASONS, actor)
        seasonality = right.selectbox(
            _("Seasonality"), list(seasons), format_func=seasons.get, key="plan_season"
        )
        manual = manual_season_editor(info, suffix) if seasonality == "manual" else None
        weights = manual_weights_editor(actor, info, suffix) if method == "manual" else None
        left, middle, right = st.columns(3)
        padding = left.number_input(
            _("Padding (over-assignment to reps, %)"),
            min_value=0.0,
            max_value=100.0,
            step=1.0,
            key="plan_padding",
        )
        ramp = middle.radio(
            _("New-hire ramp shortfall"),
            list(RAMPS),
            horizontal=True,
            key="plan_ramp",
            format_func=lambda r: _(RAMPS[r]),
        )
        stretch = plan_series.stretch_input(right)
        if target is None:
            st.info(plan_series.enter_target_message(year, series))
            return
        options = dict(
            fiscal_year=year,
            company_target=Decimal(int(target)),
            method=method,
            seasonality=seasonality,
            padding_pct=Decimal(str(padding)),
            ramp_mode=ramp,
            manual_season=manual,
            manual_weights=weights,
            **plan_series.of(series),
        )
        try:
            plan_stretch.stretch_levels_of(stretch)
            if form.open:
                allocation_preview(options, int(target), series)
        except (DomainError, ValidationError) as exc:
            st.error(str(exc))
            return
        if info is None:
            label = _("Create plan")
        elif replacing:
            label = _("Allocate again")
        else:
            label = _("Allocate as v{version}").format(version=max(info.versions) + 1)
        if st.button(label, type="primary", key="plan_create"):
            expected = info.lock_version if replacing and info is not None else None
            save_plan(
                lambda s: allocation.create_plan(
                    s, actor, expected_lock_version=expected, stretch_levels=stretch, **options
                ),
                lambda created: plan_series.allocated_message(year, series, int(created.allocated)),
                new_version=True,
            )


def allocation_preview(options: dict, target: int, series) -> None:
    """What the allocation form would give: the company figure by top region and by month."""
    figure = lambda v: plan_series.figure(v, series[0])  # noqa: E731
    with read() as session:
        preview = allocation.compute_allocation(session, **options)
        tree = load_region_tree(session)
    root = tree.root_id
    tops = [r for r in tree.children.get(root, []) if r in preview.region]
    frame = pd.DataFrame(
        {
            "kind": "region",
            "name": [tree.names[r] for r in tops],
            "target": [int(preview.region[r].sum()) for r in tops],
        }
    )
    allocated = int(preview.region[root].sum())
    if allocated < target:
        preview_text = _(
            "**Preview:** {amount} to {regions} regions and {reps} reps over 12 months — "
            "the ramp takes {ramp} off"
        )
    else:
        preview_text = _(
            "**Preview:** {amount} to {regions} regions and {reps} reps over 12 months"
        )
    st.markdown(
        preview_text.format(
            amount=figure(allocated),
            regions=len(tops),
            reps=len(preview.rep),
            ramp=figure(target - allocated),
        )
    )
    chart_left, chart_right = st.columns(2)
    chart_left.altair_chart(plan_charts.target_by_part(frame, title=_("Regions")), width="stretch")
    months = [month_text(m) for m in preview.months]
    chart_right.altair_chart(
        plan_charts.monthly_profile(
            months, [Decimal(int(v)) for v in preview.region[root]], title=_("Company by month")
        ),
        width="stretch",
    )


def capacity_check(info: PlanInfo) -> None:
    """How many fully productive reps the company figure needs (directors' sanity check)."""
    with st.expander(_("🧮 Capacity: reps needed for this target")):
        a, b, c, d = st.columns(4)
        productivity = a.number_input(
            _("Bookings of a ramped rep per year"), 1, value=1_000_000, step=50_000, key="cap_prod"
        )
        attainment = b.number_input(_("Expected attainment %"), 1, 200, 85, key="cap_att")
        attrition = c.number_input(_("Attrition % per year"), 0, 100, 15, key="cap_churn")
        ramp_months = d.number_input(_("Months lost to ramp"), 0, 12, 3, key="cap_ramp")
        try:
            needed = reps_needed(
                info.company_target,
                avg_productivity_per_rep=productivity,
                expected_attainment=Decimal(attainment) / 100,
                ramp_months_lost=Decimal(ramp_months) / 12,
                attrition=Decimal(attrition) / 100,
            )
        except DomainError as exc:
            st.error(str(exc))
            return
        st.markdown(
            _("**{n} reps** are needed to carry {amount}.").format(
                n=needed, amount=money(info.company_target)
            )
        )


def workflow_buttons(actor, info: PlanInfo) -> None:
    allowed = info.permissions
    buttons = [
        (label, action, key, done)
        for may, label, action, key, done in [
            (
                allowed.can_submit,
                _("📨 Submit for approval"),
                workflow.submit_plan,
                "submitted",
                _("{plan} submitted."),
            ),
            (
                allowed.can_approve,
                _("✅ Approve"),
                workflow.approve_plan,
                "approved",
                _("{plan} approved."),
            ),
            (
                allowed.can_return_to_draft,
                _("↩ Return to draft"),
                workflow.return_to_draft,
                "returned to draft",
                _("{plan} returned to draft."),
            ),
            (allowed.can_lock, _("🔒 Lock"), workflow.lock_plan, "locked", _("{plan} locked.")),
        ]
        if may
    ]
    if not buttons:
        return
    columns = st.columns(len(buttons) + 2)
    for column, (label, action, key, done) in zip(columns, buttons):
        if column.button(label, key=f"plan_{key}"):
            save_plan(
                lambda s, action=action: action(
                    s, actor, info.id, expected_lock_version=info.lock_version
                ),
                done.format(plan=info.label),
            )


def resplit_controls(actor, info: PlanInfo, grid: RegionGrid) -> None:
    """Share the region's figure again among its sub-regions and reps by a method."""
    method_col, button_col, __ = st.columns([2, 1, 2])
    method = method_col.selectbox(
        _("Share {region} again by").format(region=grid.region_name),
        list(RESPLIT_METHODS),
        format_func=lambda m: _(RESPLIT_METHODS[m]),
        key=f"resplit_method_{grid.region_id}",
    )
    button_col.write("")
    if button_col.button(_("↻ Re-split"), key=f"resplit_{grid.region_id}"):
        save_plan(
            lambda s: allocation.resplit_region(
                s, actor, info.id, grid.region_id, method, expected_lock_version=info.lock_version
            ),
            _("{region} shared again by {method}; its figure is unchanged.").format(
                region=grid.region_name, method=_(METHODS[method]).lower()
            ),
        )


def region_editor(actor, info: PlanInfo, region_id: int) -> None:
    grid = grid_of(actor, info.id, region_id)
    original = month_frame(grid)
    column_config = {
        "name": st.column_config.TextColumn(_("Sub-region / rep"), disabled=True, pinned=True),
        "Total": st.column_config.NumberColumn(
            _("Total"), help=_("Yearly target; change it to spread a new total over the months"),
            format="localized", min_value=0, pinned=True,
        ),
        "Locked": st.column_config.CheckboxColumn(
            "🔒", help=_("Locked rows keep their amounts when others change"), pinned=True
        ),
    } | {
        label: st.column_config.NumberColumn(
            month_header(label),
            format="localized",
            min_value=0,
            width=None if is_chinese() else "small",
        )
        for label in grid.months
    }  # fmt: skip
    editable = grid.can_edit
    if original.empty:
        st.info(
            _("{region} has no sub-regions or reps in this plan.").format(region=grid.region_name)
        )
        return
    if not editable:
        st.dataframe(original, hide_index=True, width="stretch", column_config=column_config)
        if grid.edit_refusal:
            st.caption(grid.edit_refusal)
    else:
        if grid.can_resplit:
            resplit_controls(actor, info, grid)
        if info.permissions.edit_starts_new_version:
            st.caption(
                _("{plan} is {status}: saving a change starts a new draft version.").format(
                    plan=info.label, status=_(STATUS_NAMES[info.status])
                )
            )
        edited = st.data_editor(
            original,
            hide_index=True,
            width="stretch",
            column_config=column_config,
            key=f"grid_{info.id}_{region_id}_{info.lock_version}",
        )
    st.dataframe(totals_frame(grid), width="stretch", column_config={
        label: st.column_config.NumberColumn(month_header(label), format="localized")
        for label in grid.months
    } | {"Total": st.column_config.NumberColumn(_("Total"), format="localized")})  # fmt: skip
    if not editable:
        return
    edits = edits_between(original, edited, grid.months)
    if edits.is_empty():
        st.caption(
            _(
                "Change a month or a total: the other rows of the same month absorb the "
                "difference, so {region} keeps its figure. Tick 🔒 to keep a row as it is."
            ).format(region=grid.region_name)
        )
        return
    try:
        preview = _preview(actor, info.id, region_id, edits)
    except (DomainError, ValidationError) as exc:
        st.error(_("This change is not possible: {reason} Nothing was saved.").format(reason=exc))
        return
    changed = month_frame(preview)
    st.markdown(_("**Preview after your change** (not saved yet; changed cells are highlighted)"))
    st.dataframe(
        highlight_changes(changed, original, [*grid.months, "Total"]),
        hide_index=True,
        width="stretch",
        column_config=column_config,
    )
    if st.button(_("💾 Save changes"), type="primary", key="grid_save"):
        new_version = info.permissions.edit_starts_new_version
        save_plan(
            lambda s: plan_grid.save_edits(
                s, actor, info.id, region_id, edits, expected_lock_version=info.lock_version
            ),
            _("Targets of {region} saved in a new draft version.").format(region=grid.region_name)
            if new_version
            else _("Targets of {region} saved.").format(region=grid.region_name),
            new_version=new_version,
        )


def charts_and_gaps(actor, info: PlanInfo, region_id: int) -> None:
    grid = grid_of(actor, info.id, region_id)
    parts = grid.rows[["kind", "name", "Total"]].rename(columns={"Total": "target"})
    left, right = st.columns(2)
    if not parts.empty:
        left.altair_chart(
            plan_charts.target_by_part(
                parts, title=_("Yearly target in {region}").format(region=grid.region_name)
            ),
            width="stretch",
        )
    right.altair_chart(
        plan_charts.monthly_profile(
            [month_header(m) for m in grid.months],
            grid.totals,
            title=_("{region} month by month").format(region=grid.region_name),
        ),
        width="stretch",
    )
    if not plan_series.is_company_revenue(info):
        return  # commitments are revenue of every line
    gaps = gaps_of(actor, info.id, region_id)
    st.subheader(_("Top-down vs bottom-up"))
    if grid.can_commit:
        region_commitment(actor, info, grid)
    if gaps["commitment"].isna().all():
        st.info(
            _(
                "Nobody in this region has entered a commitment yet. Reps enter theirs on this "
                "page; the gap to the target shows here."
            )
        )
        return
    st.altair_chart(
        plan_charts.topdown_vs_bottomup(gaps, title=_("Target vs commitment")), width="stretch"
    )
    st.dataframe(gaps_table(gaps), hide_index=True, width="stretch")
    if not gaps["complete"].all():
        st.caption(
            _(
                "A gap is shown once a rep, or every rep of a sub-region, has committed; until "
                "then the commitment so far is shown without a gap."
            )
        )
    download_buttons(
        gaps_download(gaps),
        f"topdown-vs-bottomup-FY{info.fiscal_year}-v{info.version}-{region_id}",
        key="gaps_download",
    )


GAP_COLUMNS = {
    "name": N_("Sub-region / rep"),
    "target": N_("Top-down target"),
    "commitment": N_("Bottom-up commitment"),
    "gap": N_("Gap (commitment − target)"),
    "gap_pct": N_("Gap % of target"),
}  # the gaps table's headers: English in the download, translated on screen


def _commitment_text(row) -> str:
    if pd.isna(row["commitment"]):
        return _("Not yet committed")
    if row["complete"]:
        return money(row["commitment"])
    return _("{amount} so far ({committed} of {reps} reps)").format(
        amount=money(row["commitment"]), committed=row["reps_committed"], reps=row["reps"]
    )


def gaps_table(gaps: pd.DataFrame) -> pd.DataFrame:
    """Top-down vs bottom-up as people read it: formatted figures, words where there is none."""
    return pd.DataFrame(
        {
            _(GAP_COLUMNS["name"]): [
                ("🗂 " if kind == "region" else "👤 ") + name
                for kind, name in zip(gaps["kind"], gaps["name"])
            ],
            _(GAP_COLUMNS["target"]): [money(v) for v in gaps["target"]],
            _(GAP_COLUMNS["commitment"]): [_commitment_text(row) for __, row in gaps.iterrows()],
            _(GAP_COLUMNS["gap"]): ["–" if pd.isna(v) else f"{v:+,.0f}" for v in gaps["gap"]],
            _(GAP_COLUMNS["gap_pct"]): [
                "–" if pd.isna(v) else f"{v * 100:+.1f}%" for v in gaps["gap_pct"]
            ],
        }
    )


def gaps_download(gaps: pd.DataFrame) -> pd.DataFrame:
    """The same table for a spreadsheet: plain numbers, empty where there is no figure."""
    frame = gaps.assign(kind=gaps["kind"].map({"region": "sub-region", "rep": "rep"}))
    return frame.rename(
        columns=GAP_COLUMNS
        | {
            "kind": "Kind",
            "reps": "Reps",
            "reps_committed": "Reps who have committed",
            "complete": "Commitment complete",
        }
    )


def region_commitment(actor, info: PlanInfo, grid: RegionGrid) -> None:
    """A manager's (or director's) own bottom-up figure for the region, month by month."""
    with st.expander(_("✍ Enter a commitment for {region}").format(region=grid.region_name)):
        base = pd.DataFrame([[0] * 12], columns=grid.months, index=[_("We commit to")])
        edited = st.data_editor(
            base,
            key=f"region_commitment_{info.id}_{grid.region_id}",
            column_config={m: st.column_config.NumberColumn(month_header(m)) for m in grid.months},
        )
        if st.button(_("Save the region's commitment"), key="save_region_commitment"):
            amounts = {i: Decimal(str(v)) for i, v in enumerate(edited.iloc[0].tolist())}
            save_plan(
                lambda s: commitments.set_commitments(
                    s, actor, info.fiscal_year, amounts, region_id=grid.region_id
                ),
                _("Commitment for {region} saved.").format(region=grid.region_name),
            )


def compare_section(actor, info: PlanInfo) -> None:
    if len(info.versions) < 2 or not info.permissions.can_compare:
        return
    with st.expander(_("🔀 Compare versions")):
        left, right = st.columns(2)
        a = left.selectbox(_("From"), info.versions, index=0, key="compare_a")
        b = right.selectbox(_("To"), info.versions, index=len(info.versions) - 1, key="compare_b")
        try:
            with read() as session:
                which = plan_series.of(info)
                frame = views.compare_versions(session, actor, info.fiscal_year, a, b, **which)
        except DomainError as exc:
            st.info(str(exc))
            return
        changed = frame[frame["change"] != 0]
        if changed.empty:
            st.info(_("v{a} and v{b} have the same yearly targets.").format(a=a, b=b))
        else:
            st.dataframe(
                changed,
                hide_index=True,
                width="stretch",
                column_config={
                    "level": _("Level"),
                    "region": _("Region"),
                    "rep": _("Rep"),
                    "change": _("Change"),
                },
            )
            download_buttons(changed, plan_series.file_name(info, f"-v{a}-vs-v{b}"))


def download_and_upload(actor, info: PlanInfo) -> None:
    # the plan's table is read only while the section is open (opening it reruns the page)
    section = st.expander(
        _("⬇⬆ Download or upload the plan"), key=f"plan_files_open_{info.id}", on_change="rerun"
    )
    with section:
        if not section.open:
            return
        table = whole_plan(actor, info.id)
        download_buttons(table, plan_series.file_name(info))
        if not info.permissions.can_upload:
            st.caption(_("Directors upload a changed plan into a draft version."))
            return
        upload = st.file_uploader(
            _("Upload a changed plan (the same layout as the download)"),
            type=["csv", "xlsx"],
            key="plan_upload",
        )
        if upload is not None and st.button(_("Check and save the uploaded plan"), key="upload_go"):

            def upload_file(session):
                frame = plan_files.read_plan_file(upload.name, upload.getvalue())
                plan_files.upload_plan(
                    session, actor, info.id, frame, expected_lock_version=info.lock_version
                )

            save_plan(
                upload_file,
                _("{file} saved into {plan}.").format(file=upload.name, plan=info.label),
            )


def rep_view(actor, year: int, series) -> None:
    with read() as session:
        mine = views.my_targets(session, actor, year, **plan_series.of(series))
        committed = commitments.my_commitments(session, actor, year)
    if mine.empty:
        st.info(
            _("There are no targets for you in {plan} yet.").format(
                plan=plan_series.plan_name(year, series)
            )
        )
        return
    header = plan_header(actor, year, None, series)
    if header is not None:
        text = (
            _("{plan} · {status} — not approved yet, it may still change")
            if header.status in OPEN
            else _("{plan} · {status}")
        )
        st.caption(text.format(plan=header.label, status=_(STATUS_BADGE[header.status])))
    st.metric(_("My yearly target"), plan_series.figure(mine["target"].sum(), series[0]))
    st.altair_chart(
        plan_charts.monthly_profile(
            [month_header(m) for m in mine["month"]], mine["target"], title=_("My target by month")
        ),
        width="stretch",
    )
    frame = mine.assign(target=mine["target"].astype(int))
    st.dataframe(
        frame.assign(month=[month_header(m) for m in frame["month"]]),
        hide_index=True,
        width="stretch",
        column_config={
            "month": _("Month"),
            "region": _("Region"),
            "target": st.column_config.NumberColumn(_("Target"), format="localized"),
        },
    )
    download_buttons(frame, f"my-targets-FY{year}")
    if series != plan_series.COMPANY_REVENUE:
        return  # commitments are revenue of every line
    st.subheader(_("My commitment (bottom-up)"))
    values = [int(v) for v in committed.values()] if len(committed) == 12 else [0] * 12
    base = pd.DataFrame([values], columns=list(mine["month"]), index=[_("I commit to")])
    edited = st.data_editor(
        base,
        key=f"my_commitment_{year}",
        width="stretch",
        column_config={m: st.column_config.NumberColumn(month_header(m)) for m in base.columns},
    )
    if st.button(_("Save my commitment"), key="save_commitment"):
        amounts = {i: Decimal(str(v)) for i, v in enumerate(edited.iloc[0].tolist())}
        save_plan(
            lambda s: commitments.set_commitments(s, actor, year, amounts, person_id=actor.id),
            _("Your commitment is saved."),
        )
    if not committed:
        st.caption(
            _(
                "You have not committed yet. Enter what you commit to month by month and save "
                "it; the gap to your target shows here."
            )
        )
        return
    gap = edited.iloc[0].sum() - mine["target"].sum()
    st.caption(
        _("Commitment minus target over the year: {amount}").format(amount=money(Decimal(int(gap))))
    )


# --------------------------------------------------------------------------- page

actor = current_actor()
st.title(_("🎯 Targets"))
show_flash("targets")
years, start_month = years_and_start()
this_year = fiscal_year_of(clock.today(), start_month)
choices = sorted(set(years) | {this_year, this_year + 1})
year_column, series_column = st.columns(2)
year = year_column.selectbox(
    _("Fiscal year"),
    choices,
    index=choices.index(this_year + 1 if this_year + 1 in years else this_year),
    format_func=lambda y: period_name(f"FY{y}"),
    key="targets_year",
)
series = plan_series.choose_series(series_column, year, may_create=views.can_allocate(actor))

if actor.role == Role.REP:
    rep_view(actor, year, series)
    st.stop()

latest = plan_header(actor, year, None, series)
version = None
if latest is not None and len(latest.versions) > 1:
    version = st.selectbox(
        _("Version"),
        latest.versions[::-1],
        format_func=lambda v: (
            _("v{version} (newest)").format(version=v) if v == latest.version else f"v{v}"
        ),
        key="targets_version",
    )
info = plan_header(actor, year, version, series) if version else latest

if views.can_allocate(actor):
    company_form(actor, year, latest, series)
profiles_section(actor)
if info is None:
    plan_series.stop_without_plan(year, series)

plan_series.header_metrics(info, _(STATUS_BADGE[info.status]))
shown_method = _(METHODS[info.method]) if info.method in METHODS else info.method
shown_season = info.seasonality or "flat"
shown_season = _(SEASONS[shown_season]) if shown_season in SEASONS else shown_season
if note := views.ramp_and_padding_note(info):
    how = _("Method: {method} · seasonality: {seasonality} · {note}")
else:
    how = _("Method: {method} · seasonality: {seasonality}")
st.caption(how.format(method=shown_method, seasonality=shown_season, note=note))
workflow_buttons(actor, info)
plan_series.stretch_levels_control(actor, info)
if info.permissions.can_allocate and plan_series.is_company_revenue(info):
    capacity_check(info)
plan_series.break_down_section(actor, info)
budget_rates_section(actor, info)

regions = regions_to_show(actor, info.id)
if not regions:
    st.info(_("You manage no region with targets in this plan."))
    st.stop()
region_id = st.selectbox(
    _("Region"),
    [r for r, __ in regions],
    format_func=dict(regions).get,
    key=f"targets_region_{info.id}",
)
try:
    region_editor(actor, info, region_id)
    charts_and_gaps(actor, info, region_id)
except DomainError as exc:
    st.error(str(exc))
compare_section(actor, info)
download_and_upload(actor, info)
