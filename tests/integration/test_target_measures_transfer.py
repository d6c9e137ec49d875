"""Targets on every measure and product line, and named seasonality profiles, through import
and export: each (fiscal year, measure, line) of a targets file becomes its own approved plan
series; exports import back unchanged (CSV and Excel); bad rows are refused naming their row
and change nothing. SQLite and PostgreSQL, on the small demo data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.errors import PermissionDenied
from core.org.access import SYSTEM_ACTOR, load_actor
from core.plans.seasonality import all_profiles
from core.transfer import ImportFailed, Kind, export_frame, import_table, read_table
from core.transfer.spreadsheets import to_csv_bytes, to_excel_bytes
from db.schema import Person, Product, Region, SeasonalityPercent, Target, TargetPlan
from tests.security_support import fingerprint
from tests.transfer_support import csv_table

YEAR = 2033
"""A fiscal year the demo has no plan for (its fiscal year starts in January)."""
HEADER = "period,region,rep,amount,measure,product_line"


def _reps(session, n: int = 2) -> list[tuple[int, str, int]]:
    """(id, email, region id) of the first active reps."""
    return session.execute(
        select(Person.id, Person.email, Person.region_id)
        .where(Person.role == "rep", Person.active.is_(True), Person.region_id.is_not(None))
        .order_by(Person.id)
        .limit(n)
    ).all()


def _line(session) -> str:
    return session.scalar(
        select(Product.product_line).where(Product.active.is_(True)).order_by(Product.id)
    )


def _file(session) -> str:
    (_, a, _), (_, b, _) = _reps(session)
    line = _line(session)
    region = session.scalar(select(Region.name).where(Region.parent_id.is_not(None)))
    return "\n".join(
        [
            HEADER,
            f"{YEAR}-01,,{a},1000.50,,",
            f"{YEAR}-01,{region},,5000,revenue,",
            f"{YEAR}-01,,{a},12,units,",
            f"{YEAR}-02,,{b},7,UNITS,",
            f"{YEAR}-01,,{a},5,units,{line.upper()}",
            f"{YEAR}-01,,{a},4,visits,",
            f"{YEAR}-03,,{b},9,visits,",
            f"{YEAR}-01,,{b},3,deals_created,",
        ]
    )


def _series(session) -> dict[tuple[str, str], tuple[int, str]]:
    """(measure, line) -> (version, status) of the newest plan of each series of YEAR."""
    rows = session.execute(
        select(TargetPlan.measure, TargetPlan.product_line, TargetPlan.version, TargetPlan.status)
        .where(TargetPlan.fiscal_year == YEAR)
        .order_by(TargetPlan.version)
    ).all()
    return {(m, line): (v, s) for m, line, v, s in rows}


def _rep_rows(session, measure: str, line: str = "") -> dict[tuple[int, str], Decimal]:
    """(person, month) -> amount of the newest plan of one series, read straight from SQL."""
    plan = session.scalar(
        select(TargetPlan.id)
        .where(
            TargetPlan.fiscal_year == YEAR,
            TargetPlan.measure == measure,
            TargetPlan.product_line == line,
        )
        .order_by(TargetPlan.version.desc())
        .limit(1)
    )
    rows = session.execute(
        select(Target.person_id, Target.month, Target.amount).where(
            Target.plan_id == plan, Target.person_id.is_not(None)
        )
    )
    return {(pid, month.isoformat()[:7]): Decimal(amount) for pid, month, amount in rows}


def _ours(frame):
    """The exported rows of YEAR, as tuples."""
    mine = frame[frame["period"].str.startswith(str(YEAR))]
    return sorted(map(tuple, mine.fillna("").to_numpy().tolist()))


def test_each_measure_and_line_becomes_its_own_approved_plan_series(session):
    (a_id, _, _), (b_id, _, _) = _reps(session)
    line = _line(session)
    result = import_table(session, SYSTEM_ACTOR, Kind.TARGETS, csv_table(_file(session)))
    assert result.created == 8
    assert _series(session) == {
        ("revenue", ""): (1, "approved"),
        ("units", ""): (1, "approved"),
        ("units", line): (1, "approved"),
        ("visits", ""): (1, "approved"),
        ("deals_created", ""): (1, "approved"),
    }
    assert _rep_rows(session, "units") == {
        (a_id, f"{YEAR}-01"): Decimal(12),
        (b_id, f"{YEAR}-02"): Decimal(7),
    }
    assert _rep_rows(session, "units", line) == {(a_id, f"{YEAR}-01"): Decimal(5)}
    assert _rep_rows(session, "visits") == {
        (a_id, f"{YEAR}-01"): Decimal(4),
        (b_id, f"{YEAR}-03"): Decimal(9),
    }
    assert _rep_rows(session, "revenue") == {(a_id, f"{YEAR}-01"): Decimal("1000.50")}
    company = session.scalars(
        select(TargetPlan.company_target).where(
            TargetPlan.fiscal_year == YEAR, TargetPlan.measure == "visits"
        )
    ).all()
    assert company == [Decimal(13)]

    # the same file again changes nothing; one changed units row makes only units v2
    again = import_table(session, SYSTEM_ACTOR, Kind.TARGETS, csv_table(_file(session)))
    assert (again.created, again.unchanged) == (0, 8)
    changed = _file(session).replace(",12,units,", ",15,units,")
    moved = import_table(session, SYSTEM_ACTOR, Kind.TARGETS, csv_table(changed))
    assert (moved.created, moved.unchanged) == (2, 6)
    series = _series(session)
    assert series[("units", "")] == (2, "approved")
    assert {k: v for k, v in series.items() if k != ("units", "")} == {
        ("revenue", ""): (1, "approved"),
        ("units", line): (1, "approved"),
        ("visits", ""): (1, "approved"),
        ("deals_created", ""): (1, "approved"),
    }
    assert _rep_rows(session, "units")[(a_id, f"{YEAR}-01")] == Decimal(15)


@pytest.mark.parametrize("excel", [False, True], ids=["csv", "xlsx"])
def test_exported_targets_of_every_measure_import_back_unchanged(session, excel):
    (_, a, _), (_, b, _) = _reps(session)
    line = _line(session)
    import_table(session, SYSTEM_ACTOR, Kind.TARGETS, csv_table(_file(session)))
    exported = export_frame(session, SYSTEM_ACTOR, Kind.TARGETS)
    assert list(exported.columns) == [
        "period", "region", "rep", "amount", "measure", "product_line",
    ]  # fmt: skip
    ours = {(r[0], r[2], r[4], r[5]): r[3] for r in _ours(exported) if r[2]}
    assert ours == {
        (f"{YEAR}-01", a, "revenue", ""): "1000.50",
        (f"{YEAR}-01", a, "units", ""): "12",
        (f"{YEAR}-02", b, "units", ""): "7",
        (f"{YEAR}-01", a, "units", line): "5",
        (f"{YEAR}-01", a, "visits", ""): "4",
        (f"{YEAR}-03", b, "visits", ""): "9",
        (f"{YEAR}-01", b, "deals_created", ""): "3",
    }, "counts are written as whole numbers, each with its measure and line"
    data = to_excel_bytes(exported, sheet="targets") if excel else to_csv_bytes(exported)
    plans = session.scalar(select(func.count()).select_from(TargetPlan))
    again = import_table(
        session,
        SYSTEM_ACTOR,
        Kind.TARGETS,
        read_table(data, "targets.xlsx" if excel else "targets.csv"),
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(exported))
    assert session.scalar(select(func.count()).select_from(TargetPlan)) == plans
    assert export_frame(session, SYSTEM_ACTOR, Kind.TARGETS).equals(exported)


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("{year}-01,,{rep},2.5,visits,", "amount", "a visits target is a whole number of visits"),
        ("{year}-01,,{rep},0.5,units,", "amount", "a units target is a whole number of units"),
        (
            "{year}-01,,{rep},1.25,deals_created,",
            "amount",
            "a deals_created target is a whole number of deals",
        ),
        ("{year}-01,,{rep},5,units,No Such Line", "product_line", "no product line of this"),
        ("{year}-01,,{rep},5,visits,{line}", "product_line", "visits targets have no product"),
        ("{year}-01,,{rep},5,deals_created,{line}", "product_line", "deals_created targets"),
        ("{year}-01,,{rep},5,calls,", "measure", "must be one of"),
    ],
    ids=["half-visit", "half-unit", "fractional-deals", "unknown-line", "visits-line",
         "deals-line", "unknown-measure"],
)  # fmt: skip
def test_bad_measure_rows_are_refused_naming_the_row_and_nothing_changes(
    session, row, column, reason
):
    (_, rep, _), _ = _reps(session)
    good = f"{YEAR}-02,,{rep},3,units,"
    bad = row.format(year=YEAR, rep=rep, line=_line(session))
    before = fingerprint(session)
    with pytest.raises(ImportFailed) as refused:
        import_table(session, SYSTEM_ACTOR, Kind.TARGETS, csv_table(f"{HEADER}\n{good}\n{bad}"))
    problems = [(p.row, p.column, p.reason) for p in refused.value.problems]
    assert len(problems) == 1 and problems[0][:2] == (3, column), problems
    assert problems[0][2].startswith(reason), problems
    assert fingerprint(session) == before


# --- seasonality profiles --------------------------------------------------------------------

ERPNEXT = ["8"] * 10 + ["10", "10"]
"""ERPNext's monthly distribution test data: 8 % January to October, 10 % November and
December (quarters of 24/24/24/28 %)."""


def _profile_file(profiles: dict[str, list[str]]) -> str:
    lines = ["name,month,percent"]
    for name, percents in profiles.items():
        lines += [f"{name},{month},{p}" for month, p in enumerate(percents, 1)]
    return "\n".join(lines)


def _stored(session) -> dict[str, list[Decimal]]:
    rows = session.execute(
        select(SeasonalityPercent.name, SeasonalityPercent.month, SeasonalityPercent.percent)
    )
    out: dict[str, dict[int, Decimal]] = {}
    for name, month, percent in rows:
        out.setdefault(name, {})[month] = Decimal(percent)
    return {name: [months[m] for m in sorted(months)] for name, months in out.items()}


def test_seasonality_profiles_are_created_and_replaced_whole(session):
    before = _stored(session)
    existing = sorted(before)[0]  # the demo keeps two profiles
    replaced = ["5"] * 8 + ["15"] * 4
    result = import_table(
        session,
        SYSTEM_ACTOR,
        Kind.SEASONALITY,
        csv_table(_profile_file({"ERPNext": ERPNEXT, existing: replaced})),
    )
    assert (result.created, result.updated, result.unchanged) == (12, 12, 0)
    stored = _stored(session)
    assert stored["ERPNext"] == [Decimal(p) for p in ERPNEXT]
    assert stored[existing] == [Decimal(p) for p in replaced]
    assert {k: v for k, v in stored.items() if k not in ("ERPNext", existing)} == {
        k: v for k, v in before.items() if k != existing
    }, "profiles the file does not name are left alone"
    assert all_profiles(session) == stored


@pytest.mark.parametrize("excel", [False, True], ids=["csv", "xlsx"])
def test_exported_profiles_import_back_unchanged(session, excel):
    import_table(
        session, SYSTEM_ACTOR, Kind.SEASONALITY, csv_table(_profile_file({"ERPNext": ERPNEXT}))
    )
    exported = export_frame(session, SYSTEM_ACTOR, Kind.SEASONALITY)
    assert list(exported.columns) == ["name", "month", "percent"]
    ours = exported[exported["name"] == "ERPNext"]
    assert ours["month"].tolist() == [str(m) for m in range(1, 13)]
    assert ours["percent"].tolist() == ["8.00"] * 10 + ["10.00", "10.00"]
    assert len(exported) == 12 * len(_stored(session))
    data = to_excel_bytes(exported, sheet="seasonality") if excel else to_csv_bytes(exported)
    again = import_table(
        session,
        SYSTEM_ACTOR,
        Kind.SEASONALITY,
        read_table(data, "s.xlsx" if excel else "s.csv"),
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(exported))
    assert export_frame(session, SYSTEM_ACTOR, Kind.SEASONALITY).equals(exported)


SHORT = ["8"] * 10 + ["10", "9.99"]
"""Twelve months adding up to 99.99."""


@pytest.mark.parametrize(
    ("profiles", "extra", "expected"),
    [
        ({"Almost": SHORT}, "", (2, "percent", "the profile 'Almost' is refused: Monthly")),
        (
            {"Eleven": ERPNEXT[:11]},
            "",
            (2, "month", "the profile 'Eleven' has no row for month 12"),
        ),
        ({"Twice": ERPNEXT}, "\nTwice,3,8", (14, "month", "appears twice in the file")),
        ({"Flat": ["100"] + ["0"] * 11}, "", (2, "name", "'Flat' is a built-in seasonality")),
        ({"Thirteen": ERPNEXT}, "\nThirteen,13,0", (14, "month", "not a month number")),
        ({"Thin": ["8.001"] + ERPNEXT[1:]}, "", (2, "percent", "more than two decimals")),
    ],
    ids=["sums-to-99.99", "month-missing", "month-twice", "built-in-name", "month-13",
         "three-decimals"],
)  # fmt: skip
def test_a_bad_profile_is_refused_naming_it_and_nothing_is_written(
    session, profiles, extra, expected
):
    # a good profile's rows come first: a refused file writes none of them either
    good = _profile_file({"Good one": ERPNEXT})
    text = good + "\n" + _profile_file(profiles).split("\n", 1)[1] + extra
    row, column, reason = expected
    before = fingerprint(session)
    with pytest.raises(ImportFailed) as refused:
        import_table(session, SYSTEM_ACTOR, Kind.SEASONALITY, csv_table(text))
    problems = [(p.row, p.column, p.reason) for p in refused.value.problems]
    assert any((r, c) == (row + 12, column) and reason in why for r, c, why in problems), problems
    assert fingerprint(session) == before
    assert "Good one" not in _stored(session)


def test_only_directors_and_administrators_import_and_export_profiles(session):
    manager = load_actor(
        session, session.scalar(select(Person.id).where(Person.username == "manager"))
    )
    before = fingerprint(session)
    with pytest.raises(PermissionDenied):
        import_table(
            session, manager, Kind.SEASONALITY, csv_table(_profile_file({"Mine": ERPNEXT}))
        )
    with pytest.raises(PermissionDenied):
        export_frame(session, manager, Kind.SEASONALITY)
    assert fingerprint(session) == before
