"""Target plans in the database: creation, editing, workflow, versions, permissions, commitments.

Runs on SQLite and PostgreSQL over the small demo data (FY2024-2026 plans exist; tests plan
later years). Sums are checked with pandas over the stored rows (tests/plan_factories.py).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.errors import DomainError, PermissionDenied, ValidationFailed
from core.models import PlanStatus
from core.org.company import set_fiscal_start_month
from core.org.regions import load_region_tree
from core.plans import bottom_up as commitments
from core.plans.allocation import create_plan, resplit_region
from core.plans.cells import PlanChanged
from core.plans.files import read_plan_file, upload_plan
from core.plans.grid import TargetEdits, preview_edits, region_grid, save_edits, set_company_target
from core.plans.views import (
    compare_versions,
    my_targets,
    plan_regions,
    plan_table,
    ramp_and_padding_note,
)
from core.plans.workflow import approve_plan, lock_plan, submit_plan
from core.progress import figures
from db.schema import AuditLog, Commitment, Person, Region, Target, TargetPlan
from tests.plan_factories import actor_named, sum_problems, target_rows

D = Decimal
YEAR = 2030  # every demo rep is fully ramped by then


@pytest.fixture
def director(session):
    return actor_named(session, "director")


@pytest.fixture
def manager(session):
    return actor_named(session, "manager")


@pytest.fixture
def rep(session):
    return actor_named(session, "rep")


def _create(session, director, **kwargs):
    options = {"fiscal_year": YEAR, "company_target": D(12_000_000), "method": "equal"}
    return create_plan(session, director, **(options | kwargs))


def _active_reps(session):
    return session.execute(
        select(Person.id, Person.region_id).where(Person.role == "rep", Person.active.is_(True))
    ).all()


def test_a_director_turns_one_number_into_targets_for_every_region_rep_and_month(session, director):
    info = _create(session, director)
    rows = target_rows(session, info.id)
    regions = session.scalar(select(func.count()).select_from(Region))
    reps = _active_reps(session)
    assert len(rows) == (regions + len(reps)) * 12
    root = load_region_tree(session).root_id
    assert rows[(rows.region_id == root) & rows.person_id.isna()].amount.sum() == D(12_000_000)
    assert sum_problems(session, info.id) == []
    rep_region = dict(reps)
    rep_rows = rows[rows.person_id.notna()]
    assert all(rep_region[p] == r for p, r in zip(rep_rows.person_id, rep_rows.region_id))
    assert info.status == PlanStatus.DRAFT and info.version == 1
    assert (
        session.scalar(
            select(AuditLog.action).where(
                AuditLog.entity == "target_plan", AuditLog.entity_id == info.id
            )
        )
        == "create"
    )


def test_equal_weights_give_every_fully_ramped_rep_the_same_share_within_rounding(
    session, director
):
    info = _create(session, director, company_target=D(1_200_000))
    rows = target_rows(session, info.id)
    per_rep = rows[rows.person_id.notna()].groupby("person_id")["amount"].sum()
    exact = D(1_200_000) / len(per_rep)
    assert per_rep.sum() == D(1_200_000)
    assert all(abs(amount - exact) <= 24 for amount in per_rep)  # at most 2 units a month


def test_flat_seasonality_gives_each_company_month_a_twelfth(session, director):
    info = _create(session, director, company_target=D(1_200_005))
    rows = target_rows(session, info.id)
    root = load_region_tree(session).root_id
    months = rows[(rows.region_id == root) & rows.person_id.isna()].amount.tolist()
    assert sorted(months) == [D(100_000)] * 7 + [D(100_001)] * 5


def test_padding_makes_reps_carry_more_than_their_region(session, director):
    info = _create(session, director, padding_pct=D(10), method="potential")
    assert sum_problems(session, info.id, D(10)) == []
    rows = target_rows(session, info.id)
    assert rows[rows.person_id.notna()].amount.sum() >= D(13_200_000)
    assert "10" in ramp_and_padding_note(info)


def test_absorbing_the_ramp_lowers_the_plan_and_spreading_keeps_it(session, director):
    newcomer = session.scalar(select(Person).where(Person.username == "rep.2"))
    newcomer.hire_date = date(YEAR, 5, 1)
    session.flush()
    spread = _create(session, director, ramp_mode="spread")
    assert spread.allocated == D(12_000_000) and spread.ramp_shortfall == 0
    rows = target_rows(session, spread.id)
    months = rows[rows.person_id == newcomer.id].sort_values("month").amount.tolist()
    assert months[:4] == [0, 0, 0, 0] and months[4] == 0 and months[5] > 0
    absorbed = _create(session, director, ramp_mode="absorb")
    assert absorbed.allocated < D(12_000_000)
    assert absorbed.ramp_shortfall == D(12_000_000) - absorbed.allocated
    assert sum_problems(session, absorbed.id) == []


def test_a_manager_changes_a_rep_and_the_other_reps_of_the_region_absorb_it(
    session, director, manager, rep
):
    info = _create(session, director)
    before = target_rows(session, info.id)
    team = rep.region_id
    edits = TargetEdits(cells={f"rep:{rep.id}": {0: D(1)}})
    saved = save_edits(
        session, manager, info.id, team, edits, expected_lock_version=info.lock_version
    )
    after = target_rows(session, info.id)
    assert sum_problems(session, info.id) == []
    jan = date(YEAR, 1, 1)
    mine = after[(after.person_id == rep.id) & (after.month == jan)].amount.item()
    assert mine == D(1)
    regions_before = before[before.person_id.isna()].set_index(["region_id", "month"]).amount
    regions_after = after[after.person_id.isna()].set_index(["region_id", "month"]).amount
    assert regions_before.equals(regions_after), "region figures stay as the director set them"
    team_jan = after[(after.region_id == team) & after.person_id.notna() & (after.month == jan)]
    assert team_jan.amount.sum() == regions_after[(team, jan)]
    assert saved.lock_version > info.lock_version
    audit = session.scalar(select(AuditLog.actor_label).where(AuditLog.action == "edit_targets"))
    assert audit.startswith(manager.name)


def test_an_impossible_edit_names_the_cause_and_changes_nothing(session, director, manager, rep):
    info = _create(session, director)
    before = target_rows(session, info.id)
    edits = TargetEdits(cells={f"rep:{rep.id}": {2: D(999_999_999)}})
    with pytest.raises(DomainError, match="March 2030.*more than"):
        save_edits(
            session, manager, info.id, rep.region_id, edits, expected_lock_version=info.lock_version
        )
    assert target_rows(session, info.id).equals(before)
    with pytest.raises(ValidationFailed, match="zero or more"):
        preview_edits(
            session,
            manager,
            info.id,
            rep.region_id,
            TargetEdits(cells={f"rep:{rep.id}": {0: D(-5)}}),
        )


def test_a_locked_row_keeps_its_amount_when_the_company_figure_changes(session, director):
    info = _create(session, director)
    root = load_region_tree(session).root_id
    grid = region_grid(session, director, info.id, root)
    first = grid.rows.key[0]
    kept = grid.rows.Total[0]
    info = save_edits(
        session,
        director,
        info.id,
        root,
        TargetEdits(locks={first: True}),
        expected_lock_version=info.lock_version,
    )
    info = set_company_target(
        session, director, info.id, D(15_000_000), expected_lock_version=info.lock_version
    )
    grid = region_grid(session, director, info.id, root)
    assert grid.rows.Total[0] == kept
    assert sum(grid.totals) == D(15_000_000) == int(grid.rows.Total.sum())
    assert sum_problems(session, info.id) == []


def test_a_change_from_an_out_of_date_screen_is_refused_naming_who_changed_it(
    session, director, manager, rep
):
    info = _create(session, director)
    edits = TargetEdits(cells={f"rep:{rep.id}": {0: D(10)}})
    save_edits(
        session, manager, info.id, rep.region_id, edits, expected_lock_version=info.lock_version
    )
    before = target_rows(session, info.id)
    stale = TargetEdits(cells={f"rep:{rep.id}": {1: D(20)}})
    with pytest.raises(PlanChanged, match=manager.name):
        save_edits(
            session,
            director,
            info.id,
            rep.region_id,
            stale,
            expected_lock_version=info.lock_version,
        )
    assert target_rows(session, info.id).equals(before)


def test_the_workflow_runs_draft_submitted_approved_locked(session, director, manager):
    info = _create(session, director)
    with pytest.raises(PermissionDenied):
        approve_plan(session, manager, info.id)
    info = submit_plan(session, manager, info.id)
    assert info.status == PlanStatus.SUBMITTED
    info = approve_plan(session, director, info.id)
    assert info.status == PlanStatus.APPROVED and info.approved_by == director.name
    assert figures.active_plan_id(session, YEAR) == info.id
    info = lock_plan(session, director, info.id)
    assert info.status == PlanStatus.LOCKED
    with pytest.raises(ValidationFailed, match="locked"):
        approve_plan(session, director, info.id)


def test_changing_a_locked_plan_makes_a_new_version_and_keeps_the_original(session, director):
    info = _create(session, director)
    info = lock_plan(session, director, approve_plan(session, director, info.id).id)
    original = target_rows(session, info.id)
    root = load_region_tree(session).root_id
    grid = region_grid(session, director, info.id, root)
    key, old_total = grid.rows.key[0], int(grid.rows.Total[0])
    v2 = save_edits(
        session,
        director,
        info.id,
        root,
        TargetEdits(totals={key: D(old_total + 1200)}),
        expected_lock_version=info.lock_version,
    )
    assert (v2.version, v2.status) == (2, PlanStatus.DRAFT)
    assert target_rows(session, info.id).equals(original)
    assert sum_problems(session, v2.id) == []
    comparison = compare_versions(session, director, YEAR, 1, 2)
    changed = comparison[comparison.change != 0]
    name = grid.rows.name[0]
    region_row = changed[(changed.level == "region") & changed.region.str.endswith(name)]
    assert region_row.change.item() == 1200
    assert figures.active_plan_id(session, YEAR) == info.id, "v1 stays active until approved"


def test_a_manager_changes_only_their_own_subtree_and_only_in_a_draft(
    session, director, manager, rep
):
    info = _create(session, director)
    tree = load_region_tree(session)
    other = next(r for r in tree.children[tree.root_id] if r not in manager.scope_region_ids)
    grid = region_grid(session, director, info.id, other)
    edits = TargetEdits(totals={grid.rows.key[0]: D(5)})
    with pytest.raises(PermissionDenied, match="regions you manage"):
        save_edits(session, manager, info.id, other, edits, expected_lock_version=None)
    with pytest.raises(PermissionDenied):
        region_grid(session, manager, info.id, other)
    with pytest.raises(PermissionDenied):
        create_plan(session, manager, fiscal_year=YEAR, company_target=D(1), method="equal")
    with pytest.raises(PermissionDenied):
        set_company_target(session, manager, info.id, D(5), expected_lock_version=None)
    info = submit_plan(session, manager, info.id)
    mine = TargetEdits(cells={f"rep:{rep.id}": {0: D(3)}})
    with pytest.raises(PermissionDenied, match="only while the plan is a draft"):
        save_edits(session, manager, info.id, rep.region_id, mine, expected_lock_version=None)
    assert not region_grid(session, manager, info.id, rep.region_id).can_edit


def test_a_rep_reads_only_their_own_targets_and_changes_none(session, director, rep):
    info = _create(session, director)
    with pytest.raises(PermissionDenied):
        save_edits(
            session,
            rep,
            info.id,
            rep.region_id,
            TargetEdits(cells={f"rep:{rep.id}": {0: D(3)}}),
            expected_lock_version=None,
        )
    with pytest.raises(PermissionDenied):
        region_grid(session, rep, info.id, rep.region_id)
    table = plan_table(session, rep, info.id)
    assert set(table.level) == {"rep"} and set(table.username) == {"rep"}
    mine = my_targets(session, rep, YEAR)
    rows = target_rows(session, info.id)
    assert mine.target.sum() == rows[rows.person_id == rep.id].amount.sum()
    assert len(mine) == 12


def test_commitments_are_set_side_by_side_with_the_target(session, director, manager, rep):
    info = _create(session, director)
    commitments.set_commitments(
        session, rep, YEAR, {m: D(1000) for m in range(12)}, person_id=rep.id
    )
    with pytest.raises(PermissionDenied):
        other = session.scalar(select(Person.id).where(Person.username == "rep.3"))
        commitments.set_commitments(session, rep, YEAR, {0: D(1)}, person_id=other)
    with pytest.raises(ValidationFailed, match="zero or more"):
        commitments.set_commitments(session, rep, YEAR, {0: D(-1)}, person_id=rep.id)
    frame = commitments.topdown_vs_bottomup(session, manager, info.id, rep.region_id)
    row = frame[frame.name == rep.name].iloc[0]
    rows = target_rows(session, info.id)
    assert row.commitment == D(12_000)
    assert row.target == rows[rows.person_id == rep.id].amount.sum()
    assert row.gap == D(12_000) - row.target
    assert session.scalar(select(func.count()).select_from(Commitment)) == 12
    tree = load_region_tree(session)
    top = next(r for r in manager.scope_region_ids if tree.parents[r] == tree.root_id)
    commitments.set_commitments(session, manager, YEAR, {0: D(5000)}, region_id=top)
    other_top = next(r for r in tree.children[tree.root_id] if r != top)
    with pytest.raises(PermissionDenied, match="regions you manage"):
        commitments.set_commitments(session, manager, YEAR, {0: D(1)}, region_id=other_top)
    company = commitments.topdown_vs_bottomup(session, director, info.id, tree.root_id)
    assert company.set_index("name").loc[tree.names[top], "commitment"] == D(5000)


def test_a_fiscal_year_starting_in_april_plans_april_to_march(session, director, rep):
    set_fiscal_start_month(session, director, 4)
    with pytest.raises(PermissionDenied):
        set_fiscal_start_month(session, rep, 5)
    with pytest.raises(ValidationFailed):
        set_fiscal_start_month(session, director, 13)
    info = _create(session, director)
    months = sorted(set(target_rows(session, info.id).month))
    assert months[0] == date(YEAR, 4, 1) and months[-1] == date(YEAR + 1, 3, 1)


def test_every_plan_version_is_kept_and_listed(session, director):
    info = _create(session, director)
    approve_plan(session, director, info.id)
    again = _create(session, director, company_target=D(13_000_000))
    assert again.version == 2 and again.versions == [1, 2]
    assert (
        session.scalar(
            select(func.count()).select_from(TargetPlan).where(TargetPlan.fiscal_year == YEAR)
        )
        == 2
    )
    assert session.scalar(
        select(func.sum(Target.amount)).where(
            Target.plan_id == info.id, Target.person_id.isnot(None)
        )
    ) == D(12_000_000)


def _downloaded(session, director, plan_id, kind="csv"):
    from core.transfer.spreadsheets import to_csv_bytes, to_excel_bytes

    table = plan_table(session, director, plan_id)
    if kind == "csv":
        return read_plan_file("plan.csv", to_csv_bytes(table))
    return read_plan_file("plan.xlsx", to_excel_bytes(table))


def test_an_uploaded_plan_that_adds_up_is_saved_whole(session, director, rep):
    info = _create(session, director)
    frame = _downloaded(session, director, info.id, "xlsx")
    mates = frame[
        (frame.level == "rep") & (frame.region == frame.region[frame.username == "rep"].item())
    ]
    giver, taker = mates.index[0], mates.index[1]
    month = f"{YEAR}-03"
    frame.loc[giver, month] = str(int(frame.loc[giver, month]) - 100)
    frame.loc[taker, month] = str(int(frame.loc[taker, month]) + 100)
    saved = upload_plan(
        session, director, info.id, frame, expected_lock_version=info.lock_version
    )
    rows = target_rows(session, info.id)
    march = rows[rows.month == date(YEAR, 3, 1)].set_index("person_id").amount
    givers_name = frame.loc[giver, "username"]
    giver_id = session.scalar(select(Person.id).where(Person.username == givers_name))
    assert march[giver_id] == D(int(frame.loc[giver, month]))
    assert sum_problems(session, saved.id) == []


def test_an_uploaded_plan_with_a_bad_row_is_refused_whole_naming_the_rows(session, director):
    info = _create(session, director)
    before = target_rows(session, info.id)
    frame = _downloaded(session, director, info.id)
    frame.loc[3, f"{YEAR}-01"] = "lots"
    frame.loc[5, f"{YEAR}-02"] = "-4"
    with pytest.raises(ValidationFailed) as refused:
        upload_plan(session, director, info.id, frame, expected_lock_version=None)
    assert "Row 5" in str(refused.value) and "Row 7" in str(refused.value)
    assert "Nothing was saved" in str(refused.value)
    frame = _downloaded(session, director, info.id)
    rep_row = frame.index[frame.level == "rep"][0]
    frame.loc[rep_row, f"{YEAR}-01"] = str(int(frame.loc[rep_row, f"{YEAR}-01"]) + 1)
    with pytest.raises(ValidationFailed, match="Does not add up"):
        upload_plan(session, director, info.id, frame, expected_lock_version=None)
    assert target_rows(session, info.id).equals(before)
    with pytest.raises(ValidationFailed, match=r"\.csv or \.xlsx"):
        read_plan_file("plan.pdf", b"%PDF")


def test_managers_open_only_the_regions_of_their_subtree_and_directors_all(
    session, director, manager
):
    info = _create(session, director)
    tree = load_region_tree(session)
    everyone = {r for r, _ in plan_regions(session, director, info.id)}
    mine = {r for r, _ in plan_regions(session, manager, info.id)}
    assert tree.root_id in everyone and mine and mine < everyone
    assert mine <= set(manager.scope_region_ids)
    paths = dict(plan_regions(session, manager, info.id))
    assert all(path.startswith(tree.names[tree.root_id] + " / ") for path in paths.values())


def test_a_manager_resplits_their_region_by_customer_potential_keeping_its_figure(
    session, director, manager, rep
):
    from db.schema import Customer

    info = _create(session, director)
    tree = load_region_tree(session)
    top = next(r for r in manager.scope_region_ids if tree.parents[r] == tree.root_id)
    before = target_rows(session, info.id)
    resplit_region(session, manager, info.id, top, "potential", expected_lock_version=None)
    after = target_rows(session, info.id)
    assert sum_problems(session, info.id) == []
    region_rows = lambda f, r: f[f.person_id.isna() & (f.region_id == r)].amount.tolist()  # noqa: E731
    assert region_rows(after, top) == region_rows(before, top)
    team = after[after.person_id.notna() & (after.region_id == rep.region_id)]
    potential = dict(
        session.execute(
            select(Customer.owner_id, func.sum(Customer.annual_potential)).group_by(
                Customer.owner_id
            )
        ).all()
    )
    team_total = sum(region_rows(after, rep.region_id))
    weight_sum = sum(potential.get(p, 0) for p in set(team.person_id))
    for person, amount in team.groupby("person_id").amount.sum().items():
        exact = team_total * potential.get(person, 0) / weight_sum
        assert abs(amount - exact) <= 12  # within a unit a month
    other = next(r for r in tree.children[tree.root_id] if r != top)
    with pytest.raises(PermissionDenied):
        resplit_region(session, manager, info.id, other, "equal", expected_lock_version=None)
    save_edits(
        session,
        manager,
        info.id,
        rep.region_id,
        TargetEdits(locks={f"rep:{rep.id}": True}),
        expected_lock_version=None,
    )
    with pytest.raises(ValidationFailed, match="locked"):
        resplit_region(session, manager, info.id, top, "equal", expected_lock_version=None)


def test_the_new_hire_ramp_is_a_setting_used_by_the_next_plans(session, director, rep):
    from core.org.company import set_ramp_schedule

    newcomer = session.scalar(select(Person).where(Person.username == "rep.2"))
    newcomer.hire_date = date(YEAR, 5, 1)
    session.flush()
    with pytest.raises(ValidationFailed, match="between 0 and 100"):
        set_ramp_schedule(session, director, ["50", "120"])
    with pytest.raises(PermissionDenied):
        set_ramp_schedule(session, rep, ["50"])
    set_ramp_schedule(session, director, ["50"])
    info = _create(session, director)
    rows = target_rows(session, info.id)
    months = rows[rows.person_id == newcomer.id].sort_values("month").amount.tolist()
    mates = rows[(rows.region_id == newcomer.region_id) & rows.person_id.notna()]
    june = mates[mates.month == date(YEAR, 6, 1)].set_index("person_id").amount
    may = mates[mates.month == date(YEAR, 5, 1)].set_index("person_id").amount
    assert months[:4] == [0, 0, 0, 0]
    other = next(p for p in june.index if p != newcomer.id)
    # half a quota in the month of hire, a full one from the month after (equal weights)
    assert abs(may[newcomer.id] * 2 - may[other]) <= 2
    assert abs(june[newcomer.id] - june[other]) <= 1
