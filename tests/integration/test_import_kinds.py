"""Each kind imports from a good file, and every bad file is refused whole with row, column,
value and reason, leaving the database unchanged. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.errors import PermissionDenied
from core.org.access import SYSTEM_ACTOR, load_actor
from core.progress.figures import active_plan_id
from core.transfer import ColumnMapping, ImportFailed, import_table, load_preset, save_preset
from db.schema import (
    Activity,
    Customer,
    Deal,
    DealStageHistory,
    Person,
    Product,
    Region,
    Stage,
    Target,
    TargetPlan,
)
from tests.transfer_support import counts, csv_table

ADMIN = SYSTEM_ACTOR


def actor_named(session, username: str):
    return load_actor(session, session.scalar(select(Person.id).where(Person.username == username)))


def refused(session, kind, text, mapping=None, actor=ADMIN):
    """Import that must fail: returns the problems, after checking nothing changed."""
    before = counts(session)
    with pytest.raises(ImportFailed) as failure:
        import_table(session, actor, kind, csv_table(text), mapping)
    assert counts(session) == before
    return [(p.row, p.column, p.value, p.reason) for p in failure.value.problems]


def test_regions_import_under_a_parent_and_a_second_import_changes_nothing(session):
    text = """
Name,PARENT
Iberia,Europe
Lisbon,Iberia
Oceania,
"""
    first = import_table(session, ADMIN, "regions", csv_table(text, bom=True))
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    names = dict(session.execute(select(Region.name, Region.parent_id)).all())
    ids = dict(session.execute(select(Region.name, Region.id)).all())
    assert names["Lisbon"] == ids["Iberia"] and names["Iberia"] == ids["Europe"]
    assert names["Oceania"] == ids["Company"]
    before = counts(session)
    again = import_table(session, ADMIN, "regions", csv_table(text))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert counts(session) == before


def test_a_region_file_with_unknown_parents_and_loops_is_refused(session):
    problems = refused(session, "regions", "name,parent\nA,B\nB,A\nC,Atlantis\nC,Europe")
    assert (4, "parent", "Atlantis", "unknown region") in problems
    assert (5, "name", "C", "appears twice in the file (also row 4)") in problems
    assert any(p[1] == "parent" and "loop" in p[3] for p in problems)


def test_people_import_with_reports_to_and_derived_emails(session):
    text = """
name,role,region,boss,hire_date
Ana Lima,manager,Europe,,2024-01-15
Rui Costa,rep,DACH,Ana Lima,2025-02-01
"""
    mapping = ColumnMapping(columns={"boss": "reports_to"}, email_domain="example.org")
    result = import_table(session, ADMIN, "people", csv_table(text), mapping)
    assert result.created == 2
    rui = session.scalar(select(Person).where(Person.email == "rui.costa@example.org"))
    ana = session.scalar(select(Person).where(Person.email == "ana.lima@example.org"))
    assert rui.reports_to_id == ana.id and rui.role == "rep" and rui.hire_date == date(2025, 2, 1)
    assert rui.username == "rui.costa" and rui.password_hash is None
    again = import_table(session, ADMIN, "people", csv_table(text), mapping)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_bad_people_rows_name_row_column_value_and_reason(session):
    text = """
email,name,role,region,reports_to,hire_date
ok@example.org,Ok,rep,Europe,,2024-01-01
not-an-email,X,rep,Europe,,
y@example.org,Y,emperor,Europe,,
z@example.org,Z,rep,Atlantis,,
w@example.org,W,rep,Europe,nobody@example.org,31/12/24
"""
    problems = refused(session, "people", text)
    assert (3, "email", "not-an-email", "not an email address") in problems
    assert any(p[:3] == (4, "role", "emperor") and "must be one of" in p[3] for p in problems)
    assert (5, "region", "Atlantis", "unknown region") in problems
    two_digits = "a two-digit year: write the year in full (2014, not 14)"
    assert (6, "hire_date", "31/12/24", two_digits) in problems


def test_products_import_and_update_a_price(session):
    import_table(
        session, ADMIN, "products", csv_table("name,product_line,list_price\nWidget,Hardware,10.50")
    )
    result = import_table(session, ADMIN, "products", csv_table("name,list_price\nwidget,12"))
    assert (result.created, result.updated) == (0, 1)
    widget = session.scalar(select(Product).where(Product.name == "Widget"))
    assert widget.list_price == Decimal("12.00") and widget.product_line == "Hardware"
    problems = refused(session, "products", "name,list_price\nGadget,-5\nGizmo,1.234\nThing,abc")
    assert (2, "list_price", "-5", "must not be negative") in problems
    assert (3, "list_price", "1.234", "more than two decimals") in problems
    not_an_amount = "not an amount (write it like 1234.50 or $1,234.50)"
    assert (4, "list_price", "abc", not_an_amount) in problems


def test_customers_match_on_external_id_then_on_name_and_region(session):
    text = """
external_id,name,region,owner,industry,segment,status,annual_potential
C-1,Acme Widgets Ltd,DACH,rep@example.com,Manufacturing,SMB,active,50000
,Bolt Works,Nordics,,Retail,,prospect,
"""
    first = import_table(session, ADMIN, "customers", csv_table(text))
    assert first.created == 2
    acme = session.scalar(select(Customer).where(Customer.external_id == "C-1"))
    assert acme.normalized_name == "acme widgets" and acme.annual_potential == Decimal("50000")
    renamed = text.replace("Acme Widgets Ltd", "Acme Widgets GmbH")
    second = import_table(session, ADMIN, "customers", csv_table(renamed))
    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)


def test_bad_customer_rows_are_all_reported(session):
    text = """
external_id,name,region,owner,status,annual_potential
C-9,One,DACH,ghost@example.com,active,1
C-9,Two,DACH,,active,1
C-10,Three,DACH,,sleeping,1
"""
    problems = refused(session, "customers", text)
    assert (2, "owner", "ghost@example.com", "no person with this email") in problems
    assert (3, "external_id", "C-9", "appears twice in the file (also row 2)") in problems
    assert any(p[:3] == (4, "status", "sleeping") for p in problems)


def _customer_ref(session) -> str:
    return session.scalar(select(Customer.name).where(Customer.region_id == 3).limit(1))


def test_deals_import_credits_the_owners_region_and_writes_stage_history(session):
    customer = _customer_ref(session)
    text = f"""
external_id,customer,owner,product,amount,stage,created_on,expected_close,closed_on
D-1,{customer},rep@example.com,Core Platform,1200.50,negotiation,2025-01-10,2025-06-30,
D-2,{customer},rep@example.com,,800,WON,2025-01-10,,2025-03-15
"""
    result = import_table(session, ADMIN, "deals", csv_table(text))
    assert result.created == 2
    rep = session.scalar(select(Person).where(Person.username == "rep"))
    open_deal = session.scalar(select(Deal).where(Deal.external_id == "D-1"))
    won = session.scalar(select(Deal).where(Deal.external_id == "D-2"))
    assert open_deal.region_id == rep.region_id and open_deal.status == "open"
    assert won.status == "won" and won.closed_on == date(2025, 3, 15)
    assert won.amount == Decimal("800") and won.expected_close == date(2025, 3, 15)
    stages = dict(session.execute(select(Stage.id, Stage.name)).all())
    open_history = session.scalars(
        select(DealStageHistory.to_stage_id).where(DealStageHistory.deal_id == open_deal.id)
    ).all()
    won_history = session.execute(
        select(DealStageHistory.to_stage_id, DealStageHistory.changed_at)
        .where(DealStageHistory.deal_id == won.id)
        .order_by(DealStageHistory.changed_at)
    ).all()
    assert [stages[s] for s in open_history] == ["Negotiation"]
    assert [stages[s] for s, _ in won_history] == ["Lead", "Won"]
    assert won_history[-1][1].date() == date(2025, 3, 15)
    again = import_table(session, ADMIN, "deals", csv_table(text))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    moved = text.replace("negotiation", "Won").replace("2025-06-30,", "2025-06-30,2025-05-02")
    third = import_table(session, ADMIN, "deals", csv_table(moved))
    assert third.updated == 1
    session.refresh(open_deal)
    assert open_deal.status == "won" and open_deal.version == 2
    history = session.scalars(
        select(DealStageHistory.to_stage_id).where(DealStageHistory.deal_id == open_deal.id)
    ).all()
    assert [stages[s] for s in history] == ["Negotiation", "Won"]


def test_every_deal_error_class_has_its_message(session):
    customer = _customer_ref(session)
    text = f"""
external_id,customer,owner,product,amount,stage,created_on,closed_on
E-1,{customer},nobody@example.com,,10,Lead,2025-01-01,
E-2,{customer},rep@example.com,,10,Won,2025-01-01,
E-3,{customer},rep@example.com,,,Won,2025-01-01,2025-02-01
E-4,{customer},rep@example.com,,-10,Lead,2025-01-01,
E-5,{customer},rep@example.com,,10,Lead,2025-02-30,
E-5,{customer},rep@example.com,,10,Lead,2025-01-01,
E-7,{customer},rep@example.com,,10,Prospecting,2025-01-01,
E-8,Nobody Inc,rep@example.com,,10,Lead,2025-01-01,
E-9,{customer},rep@example.com,Flux Capacitor,10,Lead,2025-01-01,
E-10,{customer},rep@example.com,,10,Lost,2025-03-01,2025-02-01
"""
    problems = refused(session, "deals", text)
    assert (2, "owner", "nobody@example.com", "no person with this email") in problems
    assert (3, "closed_on", "", "a won deal needs closed_on") in problems
    assert (4, "amount", "", "a won deal needs an amount") in problems
    assert (5, "amount", "-10", "must not be negative") in problems
    not_a_date = "not a date (write it like 2014-08-15, or as the column's other dates)"
    assert (6, "created_on", "2025-02-30", not_a_date) in problems
    assert (7, "external_id", "E-5", "appears twice in the file (also row 6)") not in problems
    assert any(p[:3] == (8, "stage", "Prospecting") and "Lead, Qualified" in p[3] for p in problems)
    assert (
        9,
        "customer",
        "Nobody Inc",
        "unknown customer (give its external_id or exact name)",
    ) in problems
    assert (10, "product", "Flux Capacitor", "unknown product") in problems
    assert (11, "closed_on", "2025-02-01", "before created_on") in problems


def test_a_duplicate_external_id_is_refused(session):
    customer = _customer_ref(session)
    row = f"X-1,{customer},rep@example.com,10,Lead"
    problems = refused(session, "deals", f"external_id,customer,owner,amount,stage\n{row}\n{row}")
    assert problems == [(3, "external_id", "X-1", "appears twice in the file (also row 2)")]


def test_unknown_and_missing_columns_are_refused_before_any_row(session):
    problems = refused(session, "deals", "external_id,customer,owner,colour\n1,a,b,red")
    assert any(p[1] == "colour" and "not a column of deals" in p[3] for p in problems)
    assert (1, "stage", "", "required column missing: map a source column to stage") in problems


def test_targets_form_a_new_approved_plan_version_with_rolled_up_regions(session):
    text = """
period,region,rep,amount
2031-01,,rep@example.com,1000
2031-02,,rep@example.com,1500
2031-01,Europe,,7000
"""
    result = import_table(session, ADMIN, "targets", csv_table(text))
    assert result.created == 3
    plan_id = active_plan_id(session, 2031)
    plan = session.get(TargetPlan, plan_id)
    assert plan.status == "approved" and plan.version == 1
    rep = session.scalar(select(Person).where(Person.username == "rep"))
    ids = dict(session.execute(select(Region.name, Region.id)).all())

    def region_total(name: str, month: int) -> Decimal | None:
        return session.scalar(
            select(Target.amount).where(
                Target.plan_id == plan_id,
                Target.person_id.is_(None),
                Target.region_id == ids[name],
                Target.month == date(2031, month, 1),
            )
        )

    team = session.get(Region, rep.region_id).name
    assert region_total(team, 1) == Decimal("1000") and region_total("North America", 2) == Decimal(
        "1500"
    )
    assert region_total("Europe", 1) == Decimal("7000")
    assert region_total("Company", 1) == Decimal("8000") and region_total("Company", 2) == Decimal(
        "1500"
    )
    assert plan.company_target == Decimal("9500")
    again = import_table(session, ADMIN, "targets", csv_table(text))
    assert (again.created, again.unchanged) == (0, 3)
    changed = import_table(session, ADMIN, "targets", csv_table(text.replace("1500", "1600")))
    assert (
        changed.created == 3 and session.get(TargetPlan, active_plan_id(session, 2031)).version == 2
    )


def test_bad_target_rows_are_refused(session):
    text = """
period,region,rep,amount
2031-13,Europe,,1
2031-01,Europe,rep@example.com,1
2031-01,,,1
2031-02,Europe,,-1
"""
    problems = refused(session, "targets", text)
    assert (2, "period", "2031-13", "not a month written YYYY-MM") in problems
    both = (3, "region, rep", "Europe / rep@example.com", "give exactly one of region and rep")
    assert both in problems
    assert (4, "region, rep", "", "give exactly one of region and rep") in problems
    assert (5, "amount", "-1", "must not be negative") in problems


def test_activities_import_and_match_on_their_natural_key(session):
    deal = session.scalar(
        select(Deal)
        .where(Deal.owner_id == select(Person.id).where(Person.username == "rep").scalar_subquery())
        .limit(1)
    )
    deal.external_id = "ACT-DEAL"
    customer = session.get(Customer, deal.customer_id)
    customer.external_id = "ACT-CUST"
    session.flush()
    text = """
type,date,user,customer,deal,outcome,notes
Visit,2025-04-01,rep@example.com,ACT-CUST,ACT-DEAL,Positive,Met the CFO
call,2025-04-02,rep@example.com,ACT-CUST,,,
"""
    first = import_table(session, ADMIN, "activities", csv_table(text))
    assert first.created == 2
    visit = session.scalar(select(Activity).where(Activity.notes == "Met the CFO"))
    assert visit.deal_id == deal.id and visit.type == "visit"
    second = import_table(
        session, ADMIN, "activities", csv_table(text.replace("Positive", "Great"))
    )
    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
    problems = refused(
        session, "activities", "type,date,user,customer\nfax,2025-01-01,rep@example.com,ACT-CUST"
    )
    assert any(p[:3] == (2, "type", "fax") for p in problems)


def test_a_dry_run_counts_but_writes_nothing(session):
    before = counts(session)
    result = import_table(
        session, ADMIN, "regions", csv_table("name,parent\nAtlantis,\nUS East,Europe"), dry_run=True
    )
    assert (result.created, result.updated, result.dry_run) == (1, 1, True)
    assert "would be" in result.summary()
    assert counts(session) == before


def test_presets_are_saved_and_loaded(session):
    mapping = ColumnMapping(columns={"Office": "name"}, values={"stage": {"Won": "Won"}})
    save_preset(session, ADMIN, "crm-x offices", "regions", mapping)
    kind, loaded = load_preset(session, "crm-x offices")
    assert kind == "regions" and loaded == mapping
    result = import_table(session, ADMIN, "regions", csv_table("office\nPacific"), loaded)
    assert result.created == 1


def test_managers_import_within_their_area_and_reps_not_at_all(session):
    manager = actor_named(session, "manager")  # manages North America
    rep = actor_named(session, "rep")
    with pytest.raises(PermissionDenied):
        import_table(session, rep, "customers", csv_table("name\nX"))
    with pytest.raises(PermissionDenied):
        import_table(session, manager, "regions", csv_table("name\nX"))
    with pytest.raises(PermissionDenied):
        import_table(session, manager, "targets", csv_table("period,region,amount\n2031-01,DACH,1"))
    ok = import_table(session, manager, "customers", csv_table("name,region\nNew Co,US East"))
    assert ok.created == 1
    problems = refused(session, "customers", "name,region\nFar Co,DACH", actor=manager)
    assert problems == [(2, "region", "DACH", "outside the regions you manage")]
    problems = refused(
        session, "people", "email,name,role,region\nb@x.org,B,director,US East", actor=manager
    )
    assert (2, "role", "director", "managers may only import reps") in problems


def test_an_import_next_to_demo_data_keeps_every_existing_row(session):
    deals_before = session.scalar(select(func.count()).select_from(Deal))
    customer = _customer_ref(session)
    import_table(
        session,
        ADMIN,
        "deals",
        csv_table(
            f"external_id,customer,owner,amount,stage\nN-1,{customer},rep@example.com,5,Lead"
        ),
    )
    assert session.scalar(select(func.count()).select_from(Deal)) == deals_before + 1


def test_a_manager_exports_only_the_deals_and_customers_of_their_area(session):
    from core.transfer import export_frame

    manager = actor_named(session, "manager")
    own = set(
        session.scalars(select(Person.email).where(Person.region_id.in_(manager.scope_region_ids)))
    )
    deals = export_frame(session, manager, "deals")
    everyone = export_frame(session, ADMIN, "deals")
    assert 0 < len(deals) < len(everyone)
    in_area = session.scalar(
        select(func.count()).where(Deal.region_id.in_(manager.scope_region_ids))
    )
    assert len(deals) == in_area
    assert set(deals["owner"]) <= own
    with pytest.raises(PermissionDenied):
        export_frame(session, manager, "targets")


def test_a_deal_without_dates_keeps_its_stored_dates_when_imported_again_later(session):
    from datetime import timedelta

    customer = _customer_ref(session)
    text = (
        "external_id,customer,owner,amount,stage,created_on,expected_close\n"
        f"LATER-1,{customer},rep@example.com,5,Lead,,"
    )
    import_table(session, ADMIN, "deals", csv_table(text), today=date(2025, 1, 1))
    later = import_table(
        session, ADMIN, "deals", csv_table(text), today=date(2025, 1, 1) + timedelta(days=30)
    )
    assert (later.updated, later.unchanged) == (0, 1)
    deal = session.scalar(select(Deal).where(Deal.external_id == "LATER-1"))
    assert deal.created_on == date(2025, 1, 1) and deal.expected_close == date(2025, 4, 1)


def test_a_deal_changed_by_someone_else_during_the_import_is_reported_not_overwritten(session):
    from sqlalchemy import update

    from core.transfer.import_context import ConcurrentChange

    customer = _customer_ref(session)
    text = f"external_id,customer,owner,amount,stage\nRACE-1,{customer},rep@example.com,5,Lead"
    import_table(session, ADMIN, "deals", csv_table(text))

    def someone_else_saves(step: str, _share: float) -> None:
        if step == "writing customers":  # after the import read the deal, before it writes
            session.execute(
                update(Deal).where(Deal.external_id == "RACE-1").values(version=Deal.version + 1)
            )

    with pytest.raises(ConcurrentChange, match="Someone changed some of these deals"):
        import_table(
            session,
            ADMIN,
            "deals",
            csv_table(text.replace(",5,", ",6,")),
            progress=someone_else_saves,
        )
    amount = session.scalar(select(Deal.amount).where(Deal.external_id == "RACE-1"))
    assert amount == Decimal("5")
