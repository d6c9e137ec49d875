"""Attainment on every measure under AppTest: a manager reads visits by rep for a typed week
(the figures checked against raw SQL on the activity and target tables), the page names the
working days a week's target covers, a measure without a plan explains itself, a director reads
units of one product line, and every choice of measure, line, scope and period renders without
an exception.

Each test works on a copy of the demo database with a visits plan the test approves (a second
version of this year's visits plan, with its own figure and stretch levels)."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import pyarrow as pa
import pytest
from sqlalchemy import select, text

from core.org.access import load_actor
from core.periods import fiscal_year_of, quarter_of, week_of
from core.plans.allocation import create_plan
from core.plans.line_plans import break_by_product_line
from core.plans.workflow import approve_plan
from core.progress.scopes import scope_choices
from db.engine import make_engine, session_factory
from db.schema import Person
from tests.app.conftest import signed_in
from tests.conftest import SEED_TODAY
from tests.support import sqlite_copy

YEAR = fiscal_year_of(SEED_TODAY)  # the demo's fiscal year starts in January
WEEK = week_of(SEED_TODAY - timedelta(days=14))  # a past week: typed, not in the list


def _db(url):
    return session_factory(make_engine(url))()


@pytest.fixture
def app_database(app_database, tmp_path) -> str:
    """A copy of the demo database for each test, with a new visits plan approved on it."""
    path = tmp_path / "measures.db"
    sqlite_copy(app_database, path)
    url = f"sqlite:///{path}"
    with _db(url) as session:
        director = _actor(session, "director")
        plan = create_plan(
            session,
            director,
            fiscal_year=YEAR,
            company_target=Decimal(26_000),
            method="equal",
            measure="visits",
            stretch_levels=["110", "120"],
        )
        approve_plan(session, director, plan.id)
        session.commit()
    return url


def _actor(session, username):
    return load_actor(session, session.scalar(select(Person.id).where(Person.username == username)))


def _plan_id(session, measure, line=""):
    return session.execute(
        text(
            "SELECT id FROM target_plan WHERE fiscal_year = :y AND measure = :m "
            "AND product_line = :l AND status IN ('approved', 'locked') "
            "ORDER BY version DESC LIMIT 1"
        ),
        {"y": YEAR, "m": measure, "l": line},
    ).scalar_one()


def _subtree(session, top_id):
    parents = dict(session.execute(text("SELECT id, parent_id FROM region")).all())
    out, grew = {top_id}, True
    while grew:
        more = {r for r, p in parents.items() if p in out} - out
        out |= more
        grew = bool(more)
    return out


def _month_working_days(month_start):
    days, day = 0, month_start
    while day.month == month_start.month:
        days += day.weekday() < 5
        day += timedelta(days=1)
    return days


def _week_bounds(monthly, week):
    """The lowest and highest whole-unit week target: each month's part is its amount times
    the week's working days in the month over the month's, rounded down or up."""
    low = high = Decimal(0)
    for month, amount in monthly.items():
        inside = sum(
            1
            for i in range(7)
            if (d := week.start + timedelta(days=i)).month == month.month and d.weekday() < 5
        )
        part = Decimal(amount) * inside / _month_working_days(month)
        low += part.to_integral_value(ROUND_FLOOR)
        high += part.to_integral_value(ROUND_CEILING)
    return low, high


def _month_rows(session, plan_id, where, params):
    rows = session.execute(
        text(
            f"SELECT month, SUM(amount) FROM target WHERE plan_id = :plan AND {where} "
            "GROUP BY month"
        ),
        {"plan": plan_id, **params},
    ).all()
    week_months = {WEEK.start.replace(day=1), WEEK.end.replace(day=1)}
    return {
        date.fromisoformat(str(m)[:10]): a
        for m, a in rows
        if date.fromisoformat(str(m)[:10]) in week_months
    }


def _open(username, **state):
    """The page after signing in; `state` presets its boxes (a typed period: AppTest can only
    pick listed options, and a page's boxes keep their values in the session state)."""
    at = signed_in(username)
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page("pages/attainment.py").run()
    assert not at.exception, at.exception
    return at


def _texts(at):
    return "\n".join(
        [c.value for c in at.caption] + [m.value for m in at.markdown] + [i.value for i in at.info]
    )


def _charts(at):
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    return [json.loads(c.proto.spec) for c in charts]


def test_a_manager_reads_visits_by_rep_for_a_typed_week(app_database):
    at = _open("manager", att_measure="visits", att_period=WEEK.label)
    assert at.selectbox(key="att_period").value == WEEK.label
    at.radio(key="att_measure_parts").set_value("rep").run()
    assert not at.exception, at.exception
    assert WEEK.label not in at.selectbox(key="att_period").options[:-1]  # it was typed

    with _db(app_database) as session:
        manager = _actor(session, "manager")
        top = session.scalar(select(Person.region_id).where(Person.username == "manager"))
        regions = _subtree(session, top)
        assert manager.scope_region_ids == frozenset(regions)
        region_list = ",".join(str(r) for r in regions)
        visits = dict(
            session.execute(
                text(
                    "SELECT a.person_id, COUNT(*) FROM activity a JOIN person p "
                    "ON p.id = a.person_id WHERE a.type = 'visit' AND a.occurred_on "
                    f"BETWEEN :start AND :end AND p.region_id IN ({region_list}) "
                    "GROUP BY a.person_id"
                ),
                {"start": WEEK.start, "end": WEEK.end},
            ).all()
        )
        plan = _plan_id(session, "visits")
        scope_monthly = _month_rows(
            session, plan, "person_id IS NULL AND region_id = :region", {"region": top}
        )
        reps = dict(
            session.execute(
                text(
                    "SELECT DISTINCT p.id, p.name FROM target t "
                    "JOIN person p ON p.id = t.person_id "
                    f"WHERE t.plan_id = :plan AND t.region_id IN ({region_list})"
                ),
                {"plan": plan},
            ).all()
        )
        rep_monthly = {
            rep: _month_rows(
                session,
                plan,
                f"person_id = :rep AND region_id IN ({region_list})",
                {"rep": rep},
            )
            for rep in reps
        }

    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Visits made"] == f"{sum(visits.values()):,}"
    low, high = _week_bounds(scope_monthly, WEEK)
    assert low <= Decimal(metrics["Target"].replace(",", "")) <= high
    assert [s.value for s in at.subheader] == ["Visits by rep"]

    table = at.dataframe[-1].value
    assert list(table.columns[:3]) == ["Rep", "target", "achieved"]
    assert "Stretch 110%" in table.columns and "Stretch 120%" in table.columns
    head, rows = table.iloc[0], table.iloc[1:]
    assert head["achieved"] == f"{sum(visits.values()):,}"
    assert set(rows["Rep"]) >= set(reps.values())  # every rep of her regions with a target
    by_name = {name: rep for rep, name in reps.items()}
    for _, row in rows.iterrows():
        rep = by_name[row["Rep"]]
        assert row["achieved"] == f"{visits.get(rep, 0):,}", row["Rep"]
        low, high = _week_bounds(rep_monthly[rep], WEEK)
        assert low <= Decimal(row["target"].replace(",", "")) <= high, row["Rep"]
        target = Decimal(row["target"].replace(",", ""))
        stretched = (target * Decimal("1.1")).quantize(Decimal(1), rounding="ROUND_HALF_UP")
        assert row["Stretch 110%"] == f"{int(stretched):,}"

    # the chart marks the target, what is expected by today and both stretch targets
    (chart,) = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["bar", "tick", "tick", "tick"]
    datasets = {
        d.name: pa.ipc.open_stream(io.BytesIO(d.data.data)).read_all().to_pylist()
        for d in chart.proto.datasets
    }
    stretch = datasets[spec["layer"][3]["data"]["name"]]
    marked: dict[str, list[str]] = {}
    for mark in stretch:
        value = Decimal(str(mark["stretch"])).quantize(Decimal(1), rounding="ROUND_HALF_UP")
        marked.setdefault(mark["label"], []).append(f"{int(value):,}")
    assert marked == {
        row["Rep"]: [row["Stretch 110%"], row["Stretch 120%"]]
        for _, row in rows.iterrows()
        if row["target"] != "–"
    }

    texts = _texts(at)
    assert f"{WEEK.label} runs from {WEEK.start:%a %d %b}" in texts
    assert "working days (Monday to Friday)" in texts
    assert f"of {WEEK.start:%B %Y}" in texts


def test_a_measure_without_a_plan_explains_what_to_do(app_database):
    at = _open("director")
    at.selectbox(key="att_measure").set_value("deals_created").run()
    assert not at.exception, at.exception
    assert f"No deals created targets for FY{YEAR}: a director plans them on Targets." in [
        i.value for i in at.info
    ]
    assert {m.label: m.value for m in at.metric}["Target"] == "–"
    at = _open("director", att_measure="visits", att_period=f"FY{YEAR + 1}")
    assert f"No visits targets for FY{YEAR + 1}: a director plans them on Targets." in [
        i.value for i in at.info
    ]


def test_a_director_reads_units_of_one_product_line(app_database):
    with _db(app_database) as session:
        director = _actor(session, "director")
        lines = break_by_product_line(session, director, _plan_id(session, "units"), "equal")
        line = lines[0].product_line
        approve_plan(session, director, lines[0].id)
        session.commit()
    at = _open("director")
    at.selectbox(key="att_measure").set_value("units").run()
    at.selectbox(key="att_line").set_value(line).run()
    assert not at.exception, at.exception
    period = at.selectbox(key="att_period").value  # this quarter
    with _db(app_database) as session:
        start, end = _quarter_bounds(period)
        units = session.execute(
            text(
                "SELECT COALESCE(SUM(d.quantity), 0) FROM deal d JOIN product p "
                "ON p.id = d.product_id WHERE d.status = 'won' AND d.closed_on BETWEEN :s AND :e "
                "AND p.product_line = :line"
            ),
            {"s": start, "e": end, "line": line},
        ).scalar_one()
        root = session.execute(text("SELECT id FROM region WHERE parent_id IS NULL")).scalar_one()
        target = session.execute(
            text(
                "SELECT SUM(amount) FROM target WHERE plan_id = :plan AND person_id IS NULL "
                "AND region_id = :root AND month BETWEEN :s AND :e"
            ),
            {"plan": _plan_id(session, "units", line), "root": root, "s": start, "e": end},
        ).scalar_one()
    metrics = {m.label: m.value for m in at.metric}
    assert units > 0
    assert metrics["Units sold"] == f"{units:,}"
    assert metrics["Target"] == f"{int(target):,}"
    assert f"Units · {line}" in _texts(at)
    assert [s.value for s in at.subheader] == ["Units by region"]
    # visits have no product line: the line box goes back to all lines and is disabled
    at.selectbox(key="att_measure").set_value("visits").run()
    assert at.selectbox(key="att_line").value == ""
    assert at.selectbox(key="att_line").disabled


def _quarter_bounds(label):
    year, quarter = int(label[:4]), int(label[-1])
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - timedelta(days=1)
    return start, end


@pytest.mark.parametrize("username", ["director", "manager", "rep"])
def test_every_measure_line_scope_and_period_renders(app_database, username):
    this_quarter, this_week = quarter_of(SEED_TODAY).label, week_of(SEED_TODAY).label
    with _db(app_database) as session:
        keys = [key for key, _ in scope_choices(session, _actor(session, username))][:2]
    for period in [this_quarter, this_week, WEEK.label]:
        at = _open(username, att_period=period)
        lines = len(at.selectbox(key="att_line").options)
        for scope in keys:
            if len(keys) > 1:  # a rep's one scope is a disabled box
                at.selectbox(key="att_scope").set_value(scope).run()
            for measure in ["revenue", "units", "visits", "deals_created"]:
                at.selectbox(key="att_measure").set_value(measure).run()
                choices = range(lines) if measure in ("revenue", "units") else [None]
                for line in choices:
                    if line is not None:  # visits and deals created: the box is disabled
                        at.selectbox(key="att_line").select_index(line).run()
                    where = (period, scope, measure, line)
                    assert not at.exception, (where, at.exception)
                    assert not at.error, (where, at.error)
                    assert at.metric, where


def test_the_revenue_charts_mark_the_stretch_levels_of_the_active_plan(app_database):
    with _db(app_database) as session:
        director = _actor(session, "director")
        plan = create_plan(
            session,
            director,
            fiscal_year=YEAR,
            company_target=Decimal(9_000_000),
            method="equal",
            stretch_levels=["110", "125"],
        )
        approve_plan(session, director, plan.id)
        session.commit()
    at = _open("director")
    assert at.selectbox(key="att_measure").value == "revenue"
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    specs = [json.loads(c.proto.spec) for c in charts]
    datasets = {
        d.name: pa.ipc.open_stream(io.BytesIO(d.data.data)).read_all().to_pylist()
        for c in charts
        for d in c.proto.datasets
    }

    def layer_rows(layer):
        name = layer.get("data", {}).get("name")
        return datasets.get(name) or layer.get("data", {}).get("values") or []

    target = {m.label: m.value for m in at.metric}["Target"]
    forecast = next(s for s in specs if len(s.get("layer", [])) == 3 and s["height"] == 90)
    ticks = layer_rows(forecast["layer"][2])
    assert [r["level"] for r in ticks] == ["Stretch 110%", "Stretch 125%"]
    whole = Decimal(target.replace(",", ""))
    for row, level in zip(ticks, (Decimal("1.1"), Decimal("1.25")), strict=True):
        assert abs(Decimal(str(row["value"])) - whole * level) <= level  # the card is rounded
    bars = next(
        s
        for s in specs
        if [lay["mark"]["type"] for lay in s["layer"]][:3] == ["bar", "tick", "rule"]
    )
    assert len(bars["layer"]) == 4
    assert [r["x"] for r in layer_rows(bars["layer"][3])] == [110.0, 125.0]
    assert any("stretch" in c.value for c in at.caption)


@pytest.mark.parametrize("measure", ["revenue", "visits"])
def test_a_mistyped_period_says_what_to_write(app_database, measure):
    at = _open("director", att_measure=measure, att_period=f"{YEAR}-W60")
    assert [e.value for e in at.error] == [f"{YEAR} has no ISO week 60."]
    at = _open("director", att_measure=measure, att_period="next Tuesday")
    (error,) = [e.value for e in at.error]
    assert error.startswith("Unknown period 'next Tuesday': write a week (2026-W48)")
