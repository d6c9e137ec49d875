"""Performance: leaderboard, explained scorecards, score trend, regions, plan vs actual, funnel."""

from datetime import date

import pandas as pd
import streamlit as st

from core import clock, evaluation
from core.errors import DomainError
from core.i18n import N_, _, period_name
from core.models import Role
from core.org.access import load_actor
from core.org.company import fiscal_start_month
from core.performance import funnel, scorecard
from core.performance import plan_vs_actual as review
from core.periods import parse_period
from ui import measure_review, not_priced
from ui import performance_charts as charts
from ui.auth import current_actor
from ui.data import cached, read, save
from ui.downloads import download_buttons
from ui.flash import show_flash
from ui.format import as_text, money, percent
from ui.links import linked_id, show_in_address
from ui.stage_names import shown as stage_shown


def score_column():
    """A score of 0-100 shown as a bar with one decimal, the same in every table."""
    return st.column_config.ProgressColumn(_("Score"), min_value=0, max_value=100, format="%.1f")


def _actor(person_id: int):
    with read() as session:
        return load_actor(session, person_id), fiscal_start_month(session)


@cached("settings")
def period_options(today: date) -> tuple[list[str], list[str], int]:
    """Periods for the scorecard, closed periods for the review, the fiscal start month."""
    with read() as session:
        fsm = fiscal_start_month(session)
        periods = scorecard.recent_periods(today, fsm)
        closed = [p.label for p in periods if p.end < today]
        return [p.label for p in periods], closed, fsm


def _leaderboard(person_id: int, label: str, line: str) -> list[scorecard.LeaderboardRow]:
    actor, fsm = _actor(person_id)
    with read() as session:
        return scorecard.leaderboard(session, actor, parse_period(label, fsm), product_line=line)


@cached("deals", "activities", "targets", "settings", "org")
def load_leaderboard(person_id: int, label: str, line: str = "") -> list[scorecard.LeaderboardRow]:
    return _leaderboard(person_id, label, line)


@cached("deals", "activities", "targets", "settings", "org", ttl=None)
def load_closed_leaderboard(
    person_id: int, label: str, line: str = ""
) -> list[scorecard.LeaderboardRow]:
    """A closed period's leaderboard: it changes only with the data (kept until then)."""
    return _leaderboard(person_id, label, line)


@cached("deals", "activities", "targets", "settings", "org")
def load_scorecard(person_id: int, rep_id: int, label: str, line: str = "") -> scorecard.Scorecard:
    actor, fsm = _actor(person_id)
    with read() as session:
        period = parse_period(label, fsm)
        return scorecard.rep_scorecard(session, actor, rep_id, period, product_line=line)


@cached("deals", "activities", "targets", "settings", "org")
def load_trend(person_id: int, rep_id: int, label: str, line: str = "") -> list[tuple[str, object]]:
    actor, fsm = _actor(person_id)
    with read() as session:
        period = parse_period(label, fsm)
        return scorecard.score_trend(session, actor, rep_id, period, product_line=line)


def _regions(person_id: int, label: str, line: str) -> list[scorecard.Scorecard]:
    actor, fsm = _actor(person_id)
    with read() as session:
        period = parse_period(label, fsm)
        return scorecard.region_scorecards(session, actor, period, product_line=line)


@cached("deals", "activities", "targets", "settings", "org")
def load_regions(person_id: int, label: str, line: str = "") -> list[scorecard.Scorecard]:
    return _regions(person_id, label, line)


@cached("deals", "activities", "targets", "settings", "org", ttl=None)
def load_closed_regions(person_id: int, label: str, line: str = "") -> list[scorecard.Scorecard]:
    """A closed period's region scorecards: they change only with the data."""
    return _regions(person_id, label, line)


@cached("deals", "targets", "customers", "org", "settings")
def load_review(
    person_id: int, label: str, dimension: str, line: str = ""
) -> list[review.ReviewRow]:
    actor, fsm = _actor(person_id)
    with read() as session:
        return review.plan_vs_actual(
            session, actor, parse_period(label, fsm), dimension, product_line=line
        )


@cached("deals", "org", "settings")
def load_funnel(person_id: int, label: str, region_id, rep_id) -> funnel.Funnel:
    actor, fsm = _actor(person_id)
    with read() as session:
        return funnel.funnel(
            session, actor, parse_period(label, fsm), region_id=region_id, person_id=rep_id
        )


@cached("deals", "targets", "settings", "org")
def load_not_priced(person_id: int, label: str, kind: str, rep_id: int = 0) -> list:
    """Deals won in the period that a tab's won figures leave out (not priced): the
    leaderboard's reps ("leaderboard"), one rep ("rep") or the area ("area")."""
    actor, fsm = _actor(person_id)
    period = parse_period(label, fsm)
    with read() as session:
        if kind == "rep":
            return scorecard.rep_not_priced(session, actor, rep_id, period)
        if kind == "area":
            return review.area_not_priced(session, actor, period)
        return scorecard.leaderboard_not_priced(session, actor, period)


@cached("org")
def load_choices(person_id: int) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Reps whose scorecard the actor may open, and regions they may compare."""
    actor, __ = _actor(person_id)
    with read() as session:
        if actor.role == Role.REP:
            reps = [(actor.id, actor.name)]
            regions = []
        else:
            reps = [(pid, name) for pid, name, __ in scorecard.visible_reps(session, actor)]
            from core.org.regions import load_region_tree

            names = load_region_tree(session).names
            regions = [(r, names[r]) for r in scorecard.comparable_regions(session, actor)]
        return reps, regions


@cached("settings")
def load_weights(fiscal_year: int) -> dict:
    with read() as session:
        return scorecard.weights_for(session, fiscal_year)


@cached("settings")
def load_benchmarks() -> evaluation.Benchmarks:
    with read() as session:
        return scorecard.benchmarks(session)


SECTIONS = {
    "leaderboard": "🏆 Leaderboard",
    "scorecard": "🧾 Scorecard",
    "regions": "🗺️ Regions",
    "plan-vs-actual": "📋 Plan vs actual",
    "funnel": "🔻 Funnel",
    "weights": "⚖️ Weights",
}
# The sections by the name the address keeps (/performance?section=funnel).
TAB_NAMES = {
    "🏆 Leaderboard": N_("🏆 Leaderboard"),
    "🧾 Scorecard": N_("🧾 Scorecard"),
    "🗺️ Regions": N_("🗺️ Regions"),
    "📋 Plan vs actual": N_("📋 Plan vs actual"),
    "🔻 Funnel": N_("🔻 Funnel"),
    "⚖️ Weights": N_("⚖️ Weights"),
}
HEADERS = (
    N_("Rank"),
    N_("Rep"),
    N_("Region"),
    N_("Score"),
    N_("Trend"),
    N_("Previous"),
    N_("Attainment"),
    N_("Metric"),
    N_("Figures"),
    N_("Normalised (0-100)"),
    N_("Weight"),
    N_("Effective weight"),
    N_("Points"),
    N_("Attainment %"),
    N_("Won"),
    N_("Target"),
    N_("Variance"),
    N_("Variance %"),
    N_("Main driver"),
    N_("Closed deals"),
    N_("Planned closed"),
    N_("Win rate"),
    N_("Win rate a year ago"),
    N_("Average deal"),
    N_("Average deal a year ago"),
    N_("Deal volume effect"),
    N_("Win rate effect"),
    N_("Deal size effect"),
    N_("Stage"),
    N_("Reached"),
    N_("On to next stage"),
    N_("Average days in stage"),
    N_("Win rate once reached"),
    N_("Lost at this stage"),
)
# The English headers of the tables (which their downloads keep), translated on screen.
IMPLIED = {
    "region": N_(
        "The plan has no region targets: each region's target is implied from its share of what "
        "was won a year earlier."
    ),
    "rep": N_(
        "The plan has no rep targets: each rep's target is implied from its share of what was won "
        "a year earlier."
    ),
    "segment": N_(
        "The plan has no segment targets: each segment's target is implied from its share of what "
        "was won a year earlier."
    ),
    "industry": N_(
        "The plan has no industry targets: each industry's target is implied from its share of "
        "what was won a year earlier."
    ),
    "product_line": N_(
        "The plan has no product line targets: each product line's target is implied from its "
        "share of what was won a year earlier."
    ),
}
# Why a breakdown's targets are implied, one sentence per breakdown.


def headers(table: pd.DataFrame, config: dict | None = None) -> dict:
    """column_config reading each English column header in the current language; `config`
    holds the columns that need more than a header (its labels already translated)."""
    return {**{c: _(str(c)) for c in table.columns}, **(config or {})}


actor = current_actor()
leader = actor.role != Role.REP
st.title(_("Performance"))
show_flash("performance")
st.caption(
    _("Scores from 0 to 100, weighted from six metrics; every score is explained by its parts.")
)

labels, closed_labels, fiscal_start = period_options(clock.today())
period_col, line_col = st.columns(2)
label = period_col.selectbox(_("Period"), labels, key="perf_period", format_func=period_name)
score_line = measure_review.choose_score_line(line_col)
reps, regions = load_choices(actor.id)

names = ["🏆 Leaderboard", "🧾 Scorecard"]
if leader:
    names += ["🗺️ Regions", "📋 Plan vs actual"]
names.append("🔻 Funnel")
if actor.sees_everything:
    names.append("⚖️ Weights")
if (linked_rep := linked_id("rep")) is not None:  # /performance?rep=7 opens that scorecard
    st.session_state["perf_linked_rep"] = linked_rep
    if "section" not in st.query_params:  # unless the address names the section too
        st.session_state["section"] = "scorecard"
shown_rep = st.session_state.get("perf_linked_rep", actor.id)
# Only the chosen section runs (st.tabs would run every tab's code on each run); the address
# keeps it (/performance?section=funnel), so a link or a reload opens the same section.
slugs = {name: slug for slug, name in SECTIONS.items()}
options = [slugs[n] for n in names]
if st.session_state.get("section") not in options:  # a new session: the address decides
    wanted = st.query_params.get("section")
    st.session_state["section"] = wanted if wanted in options else "leaderboard"
chosen_slug = st.segmented_control(
    _("Section"),
    options,
    required=True,
    format_func=lambda slug: _(TAB_NAMES[SECTIONS[slug]]),
    key="section",
    label_visibility="collapsed",
)
if chosen_slug and st.query_params.get("section") != chosen_slug:
    st.query_params["section"] = chosen_slug  # the short name, the same in every language
section = SECTIONS.get(chosen_slug or "", names[0])

if section == "🏆 Leaderboard":
    board_of = load_closed_leaderboard if label in closed_labels else load_leaderboard
    board = board_of(actor.id, label, score_line)
    if not board:
        st.info(_("No reps to rank in your area yet."))
    else:
        table = pd.DataFrame(
            [
                {
                    "Rank": row.rank,
                    "Rep": row.rep,
                    "Region": row.region,
                    "Score": None if row.score is None else float(row.score),
                    "Trend": row.trend,
                    "Previous": None if row.previous_score is None else float(row.previous_score),
                    "Attainment": percent(row.attainment),
                }
                for row in board
            ]
        )
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config=headers(
                table,
                {
                    "Score": score_column(),
                    "Previous": st.column_config.NumberColumn(_("Previous period"), format="%.1f"),
                    "Trend": st.column_config.TextColumn(
                        _("Trend"), help=_("vs the previous period")
                    ),
                },
            ),
        )
        st.caption(
            _(
                "▲ / ▼: more than one point up or down since the previous period. Open a rep's "
                "scorecard in the Scorecard section to see how the score is made."
            )
        )
        download_buttons(table, f"leaderboard-{label}")
        not_priced.show_won(load_not_priced(actor.id, label, "leaderboard"), not_priced.RANKED)

if section == "🧾 Scorecard":
    chosen = st.selectbox(
        _("Rep"),
        reps,
        format_func=lambda r: r[1],
        key="perf_rep",
        index=next((i for i, r in enumerate(reps) if r[0] == shown_rep), 0),
    )
    if "perf_linked_rep" in st.session_state and shown_rep not in {r[0] for r in reps}:
        st.warning(_("The linked scorecard is not one you may see; choose a rep of your area."))
    if chosen is None:
        st.info(_("No rep in your area yet."))
    else:
        try:
            if chosen[0] != actor.id or "perf_linked_rep" in st.session_state:
                show_in_address("rep", chosen[0])
            card = load_scorecard(actor.id, chosen[0], label, score_line)
            trend = load_trend(actor.id, chosen[0], label, score_line)
        except DomainError as exc:
            st.error(str(exc))
        else:
            score_col, att_col, won_col = st.columns(3)
            score_col.metric(_("Score"), "–" if card.score is None else f"{card.score:.1f}")
            att_col.metric(_("Attainment"), percent(card.attainment))
            won_col.metric(
                _("Won"),
                money(card.won),
                help=_("Target {target}").format(target=money(card.target)),
            )
            measure_review.show_targets(card.targets)
            not_priced.show_won(load_not_priced(actor.id, label, "rep", chosen[0]))
            parts = pd.DataFrame([p.model_dump() for p in card.parts])
            st.altair_chart(charts.score_parts(parts), width="stretch")
            shown = pd.DataFrame(
                {
                    "Metric": parts["label"],
                    "Figures": parts["raw_text"],
                    "Normalised (0-100)": parts["normalised"].map(
                        lambda v: _("no data") if v is None else f"{v:.1f}"
                    ),
                    "Weight": parts["weight"].map(lambda v: f"{v:.0f}"),
                    "Effective weight": parts["effective_weight"].map(lambda v: f"{v:.2f}"),
                    "Points": parts["contribution"].map(lambda v: f"{v:.2f}"),
                }
            )
            st.dataframe(shown, hide_index=True, width="stretch", column_config=headers(shown))
            if card.score is not None:
                counted = [p for p in card.parts if p.normalised is not None]
                sum_text = " + ".join(f"{p.contribution:.2f}" for p in counted)
                st.caption(
                    _(
                        "Score = {sum} = **{score}**. Points = normalised × effective weight ÷ "
                        "100; a metric without data is left out and the other weights are scaled "
                        "up to 100."
                    ).format(sum=sum_text, score=f"{card.score:.2f}")
                )
            st.caption(_(scorecard.SPLIT_CREDIT_NOTE))
            download_buttons(shown, f"scorecard-{card.entity}-{label}")
            frame = pd.DataFrame(trend, columns=["period", "score"])
            frame["period"] = frame["period"].map(period_name)
            st.subheader(_("Score trend"))
            st.altair_chart(charts.score_trend(frame), width="stretch")

if section == "🗺️ Regions":
    try:
        cards = load_regions(actor.id, label, score_line)
    except DomainError as exc:
        st.error(str(exc))
        cards = []
    if not cards:
        st.info(_("No regions to compare in your area."))
    else:
        table = pd.DataFrame(
            [
                {
                    "Region": c.entity,
                    "Score": None if c.score is None else float(c.score),
                    "Attainment %": percent(c.attainment),
                    "Won": money(c.won),
                    "Target": money(c.target),
                    # A metric without data (no deal closed: no cycle time) reads "–".
                    **{p.label: as_text([p.normalised], "{:.1f}".format)[0] for p in c.parts},
                }
                for c in sorted(cards, key=lambda c: -(c.score or 0))
            ]
        )
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config=headers(
                table,
                {
                    "Score": score_column(),
                    **{
                        column: st.column_config.TextColumn(_(column), alignment="right")
                        for column in table.columns
                        if column not in ("Region", "Score")
                    },
                },
            ),
        )
        heat = pd.DataFrame(
            [
                {"region": c.entity, "metric": p.label, "normalised": p.normalised}
                for c in cards
                for p in c.parts
            ]
        )
        st.caption(
            _(
                "Metric columns and the chart: each metric normalised to 0-100 (the score's "
                "parts before weighting)."
            )
        )
        st.altair_chart(charts.region_heatmap(heat), width="stretch")
        download_buttons(table, f"regions-{label}")
        not_priced.show_won(load_not_priced(actor.id, label, "area"))

if section == "📋 Plan vs actual":
    if not closed_labels:
        st.info(_("No period has closed yet."))
    else:
        left, right = st.columns(2)
        closed = left.selectbox(
            _("Closed period"), closed_labels, key="review_period", format_func=period_name
        )
        dimension = right.radio(
            _("By"),
            list(review.DIMENSIONS),
            format_func=measure_review.dimension_name,
            horizontal=True,
            key="review_dimension",
        )
        measure, line = measure_review.choose_measure("review")
        try:
            revenue = measure == "revenue"
            rows = load_review(actor.id, closed, dimension, line) if revenue else []
        except DomainError as exc:
            st.error(str(exc))
            rows = []
        if measure != "revenue":
            measure_review.show_measure_review(actor.id, closed, dimension, measure, line)
        elif not rows:
            st.info(
                _("Nothing was won or lost in {period} in your area.").format(
                    period=period_name(closed)
                )
            )
        else:
            frame = pd.DataFrame([r.model_dump() for r in rows])
            part = review.DIMENSIONS[dimension]
            if any(r.target_basis == "implied" for r in rows):
                st.caption(_(IMPLIED[dimension]) if dimension in IMPLIED else _(IMPLIED["rep"]))
            elif dimension == "product_line":
                st.caption(_("Each product line's target is its own revenue plan's."))
            st.altair_chart(
                charts.variance(frame, part=measure_review.dimension_name(dimension)),
                width="stretch",
            )
            table = pd.DataFrame(
                {
                    part: frame["label"],
                    "Target": frame["target"].astype(float),
                    "Won": frame["won"].astype(float),
                    "Variance": frame["variance"].astype(float),
                    "Variance %": frame["variance_pct"].map(percent),
                    "Main driver": frame["main_driver"],
                    "Closed deals": frame["closed_deals"],
                    "Planned closed": frame["planned_closed_deals"].astype(float),
                    "Win rate": frame["win_rate"].map(percent),
                    "Win rate a year ago": frame["baseline_win_rate"].map(percent),
                    "Average deal": frame["average_deal"].astype(float),
                    "Average deal a year ago": frame["baseline_average_deal"].astype(float),
                    "Deal volume effect": frame["volume_effect"].astype(float),
                    "Win rate effect": frame["win_rate_effect"].astype(float),
                    "Deal size effect": frame["deal_size_effect"].astype(float),
                }
            )
            money_columns = [
                "Target",
                "Won",
                "Variance",
                "Average deal",
                "Average deal a year ago",
                "Deal volume effect",
                "Win rate effect",
                "Deal size effect",
            ]
            table[money_columns] = table[money_columns].round(0)
            st.dataframe(
                table,
                hide_index=True,
                width="stretch",
                column_config=headers(
                    table,
                    {
                        part: measure_review.dimension_name(dimension),
                        **{
                            c: st.column_config.NumberColumn(_(c), format="localized")
                            for c in money_columns
                        },
                        "Planned closed": st.column_config.NumberColumn(
                            _("Planned closed"), format="%.1f"
                        ),
                    },
                ),
            )
            st.caption(
                _(
                    "Variance = won − target = deal volume effect + win rate effect + deal "
                    "size effect. Planned closed deals = target ÷ (win rate × average deal a "
                    "year ago)."
                )
            )
            download_buttons(table, f"plan-vs-actual-{closed}-{dimension}")
        measure_review.show_months(actor.id, closed, measure, line)
        not_priced.show_won(load_not_priced(actor.id, closed, "area"))

if section == "🔻 Funnel":
    scopes: list[tuple[str, int | None, int | None]] = []
    if leader:
        scopes.append((_("My whole area"), None, None))
        scopes += [(_("Region: {name}").format(name=name), rid, None) for rid, name in regions]
        scopes += [(_("Rep: {name}").format(name=name), None, pid) for pid, name in reps]
    else:
        scopes.append((_("My deals"), None, actor.id))
    left, right = st.columns(2)
    scope = left.selectbox(_("Scope"), scopes, format_func=lambda s: s[0], key="funnel_scope")
    funnel_labels = list(dict.fromkeys([*closed_labels, *labels])) or labels
    funnel_label = right.selectbox(
        _("Deals created in"), funnel_labels, key="funnel_period", format_func=period_name
    )
    try:
        result = load_funnel(actor.id, funnel_label, scope[1], scope[2])
    except DomainError as exc:
        st.error(str(exc))
    else:
        if not result.deals:
            st.info(
                _("No deals were created in {period} in this scope.").format(
                    period=period_name(funnel_label)
                )
            )
        else:
            a, b, c, d = st.columns(4)
            a.metric(_("Deals created"), f"{result.deals:,}")
            b.metric(_("Won"), f"{result.won:,}")
            c.metric(_("Lost"), f"{result.lost:,}")
            d.metric(_("Still open"), f"{result.open:,}")
            frame = pd.DataFrame([s.model_dump() for s in result.stages])
            st.altair_chart(charts.funnel(frame), width="stretch")
            table = pd.DataFrame(
                {
                    "Stage": frame["stage"].map(stage_shown),
                    "Reached": frame["reached"],
                    "On to next stage": frame["conversion"].map(percent),
                    # a stage no deal has left yet has no average: "–", not "None"
                    "Average days in stage": as_text(
                        frame["average_days"], lambda days: f"{float(days):.1f}"
                    ),
                    "Win rate once reached": frame["win_rate"].map(percent),
                    "Lost at this stage": frame["lost_here"],
                }
            )
            st.dataframe(
                table,
                hide_index=True,
                width="stretch",
                column_config=headers(
                    table,
                    {
                        "Average days in stage": st.column_config.TextColumn(
                            _("Average days in stage")
                        )
                    },
                ),
            )
            st.caption(
                _(
                    "Cohort: deals created in the period. Win rate once reached = won ÷ closed "
                    "among the deals that reached the stage. Lost at this stage = the last stage "
                    "before Lost."
                )
            )
            if result.lost_reasons:
                st.markdown(
                    _("**Why deals were lost:** {reasons}").format(
                        reasons=_(", ").join(
                            f"{reason} {count}" for reason, count in result.lost_reasons
                        )
                    )
                )
            download = table.assign(  # the file keeps the stored names and plain numbers
                **{
                    "Stage": frame["stage"],
                    "Average days in stage": frame["average_days"].astype(float),
                }
            )
            download_buttons(download, f"funnel-{funnel_label}")

if section == "⚖️ Weights":
    year = parse_period(label, fiscal_start).fiscal_year
    st.caption(
        _(
            "Weights of the scorecard's metrics for FY{year}, in percent; they must sum to 100."
        ).format(year=year)
    )
    current = load_weights(year)
    with st.form("weights"):
        entered = {
            metric: st.number_input(
                _(title),
                min_value=0.0,
                max_value=100.0,
                value=float(current[metric]),
                step=5.0,
                key=f"weight_{metric}",
            )
            for metric, title in evaluation.METRICS.items()
        }
        saved = st.form_submit_button(_("Save weights"), type="primary")
    if saved:
        save(
            lambda s: scorecard.set_weights(s, actor, year, entered),
            _("Weights for FY{year} saved.").format(year=year),
            affects={"settings"},
        )

    st.subheader(_("Normalisation"))
    st.caption(_("What scores 100 on each metric (for cycle time also what scores 0)."))
    bench = load_benchmarks()
    with st.form("benchmarks"):
        entered_bench = {
            name: st.number_input(
                _(field.description or name),
                value=float(getattr(bench, name)),
                format="%.2f",
                key=f"bench_{name}",
            )
            for name, field in evaluation.Benchmarks.model_fields.items()
        }
        saved_bench = st.form_submit_button(_("Save normalisation"))
    if saved_bench:
        save(
            lambda s: scorecard.set_benchmarks(s, actor, entered_bench),
            _("Normalisation saved; every score is worked out again with it."),
            affects={"settings"},
        )
