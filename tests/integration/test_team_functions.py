"""Deal-team roles are qualifications: a stage's required role is met only by a member who has
that function, a rep cannot seat herself to meet a rule, a manager may still override with a
reason, and functions are set by administrators (page service and the people import/export).
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.errors import PermissionDenied, ValidationFailed
from core.org.access import SYSTEM_ACTOR
from core.pipeline import deals, team
from core.pipeline.deals import DealMove
from core.transfer import ImportFailed, export_frame, import_table
from db.schema import AuditLog, Deal, DealTeamMember, Person
from tests import factories
from tests.pipeline_factories import stage
from tests.pipeline_factories import team as small_team
from tests.transfer_support import csv_table


def _ready_for_technical_exchange(session, t):
    """The rep's deal in Qualified with its exit checklist ticked."""
    rep = t.actor(session, t.rep)
    deal = factories.deal(session, t.rep, t.customer, stage_name="Qualified")
    for item in stage(session, "Qualified").exit_checklist:
        deals.tick_checklist_item(session, rep, deal.id, deal.version, item, True)
    return rep, deal


def _seats(session, deal_id):
    return session.execute(
        select(DealTeamMember.person_id, DealTeamMember.role).where(
            DealTeamMember.deal_id == deal_id
        )
    ).all()


def test_a_rep_cannot_seat_herself_as_pre_sales_engineer_even_with_the_function(session):
    t = small_team(session)
    t.rep.functions = ["pre-sales engineer"]
    session.flush()
    rep, deal = _ready_for_technical_exchange(session, t)
    with pytest.raises(PermissionDenied, match="cannot fill the pre-sales engineer role"):
        deals.add_team_member(session, rep, deal.id, t.rep.id, "Pre-sales engineer")
    assert _seats(session, deal.id) == []
    tech = stage(session, "Technical exchange")
    with pytest.raises(ValidationFailed, match="needs on the deal team: pre-sales engineer"):
        deals.move_deal(session, rep, deal.id, DealMove(to_stage_id=tech.id, seen_version=3))


def test_a_person_without_the_function_is_refused_naming_the_role_and_the_person(session):
    t = small_team(session)
    rep, deal = _ready_for_technical_exchange(session, t)
    colleague = factories.person(session, "rep", t.region)
    with pytest.raises(ValidationFailed) as refused:
        deals.add_team_member(session, rep, deal.id, colleague.id, "pre-sales engineer")
    assert colleague.name in str(refused.value) and "pre-sales engineer" in str(refused.value)
    assert _seats(session, deal.id) == []
    # a free label is still allowed, but meets no stage rule
    deals.add_team_member(session, rep, deal.id, colleague.id, "account planner")
    assert _seats(session, deal.id) == [(colleague.id, "account planner")]


def test_a_member_with_the_function_meets_the_stage_rule(session):
    t = small_team(session)
    rep, deal = _ready_for_technical_exchange(session, t)
    tech = stage(session, "Technical exchange")
    deals.add_team_member(session, rep, deal.id, t.other_rep.id, "PRE-SALES ENGINEER")
    assert _seats(session, deal.id) == [(t.other_rep.id, "pre-sales engineer")]
    kind = deals.move_deal(session, rep, deal.id, DealMove(to_stage_id=tech.id, seen_version=3))
    assert kind == "forward" and session.get(Deal, deal.id).stage_id == tech.id


def test_a_seat_held_without_the_function_does_not_count_but_a_manager_may_override(session):
    t = small_team(session)
    rep, deal = _ready_for_technical_exchange(session, t)
    # a seat from before functions existed: the rep herself, who has no function
    session.add(DealTeamMember(deal_id=deal.id, person_id=t.rep.id, role="pre-sales engineer"))
    session.flush()
    tech = stage(session, "Technical exchange")
    with pytest.raises(ValidationFailed, match="needs on the deal team: pre-sales engineer"):
        deals.move_deal(session, rep, deal.id, DealMove(to_stage_id=tech.id, seen_version=3))
    forced = DealMove(to_stage_id=tech.id, seen_version=3, override=True, reason="Customer call")
    with pytest.raises(PermissionDenied, match="manager or above"):
        deals.move_deal(session, rep, deal.id, forced)
    assert deals.move_deal(session, t.actor(session, t.manager), deal.id, forced) == "override"
    assert session.get(Deal, deal.id).stage_id == tech.id


def test_administrators_set_functions_and_unknown_ones_or_reps_are_refused(session):
    t = small_team(session)
    director = factories.actor(session, factories.person(session, "director"))
    stored = team.set_person_functions(session, director, t.rep.id, ["Finance", "legal", "finance"])
    assert stored == ["finance", "legal"] and session.get(Person, t.rep.id).functions == stored
    entry = session.scalars(
        select(AuditLog).where(
            AuditLog.action == "person.functions", AuditLog.entity_id == t.rep.id
        )
    ).one()
    assert entry.before == {"functions": []} and entry.after == {"functions": stored}
    with pytest.raises(ValidationFailed, match="Unknown function: juggler"):
        team.set_person_functions(session, director, t.rep.id, ["juggler"])
    with pytest.raises(PermissionDenied):
        team.set_person_functions(session, t.actor(session, t.manager), t.rep.id, ["legal"])
    assert session.get(Person, t.rep.id).functions == ["finance", "legal"]


def test_functions_import_and_export_round_trip_and_unknown_ones_are_refused(session):
    factories.region(session, "Functions West")
    text = """email,name,role,region,functions
fn.one@example.org,Fang One,rep,Functions West,Pre-sales engineer; solution consultant
fn.two@example.org,Fang Two,manager,Functions West,
"""
    result = import_table(session, SYSTEM_ACTOR, "people", csv_table(text))
    assert result.created == 2
    one = session.scalar(select(Person).where(Person.email == "fn.one@example.org"))
    assert one.functions == ["pre-sales engineer", "solution consultant"]
    exported = export_frame(session, SYSTEM_ACTOR, "people").set_index("email")
    assert exported.loc["fn.one@example.org", "functions"] == (
        "pre-sales engineer; solution consultant"
    )
    assert exported.loc["fn.two@example.org", "functions"] in ("", None)
    # the exported rows read back unchanged
    again = import_table(session, SYSTEM_ACTOR, "people", csv_table(text))
    assert (again.created, again.updated) == (0, 0)
    bad = text.replace("solution consultant", "magician")
    with pytest.raises(ImportFailed) as failure:
        import_table(session, SYSTEM_ACTOR, "people", csv_table(bad))
    (problem,) = failure.value.problems
    assert (problem.row, problem.column) == (2, "functions") and "magician" in problem.reason
    assert one.functions == ["pre-sales engineer", "solution consultant"]


def test_the_demo_team_seats_are_held_by_people_with_the_function(session):
    seats = session.execute(
        select(DealTeamMember.role, Person.functions).join(
            Person, Person.id == DealTeamMember.person_id
        )
    ).all()
    assert seats, "the demo data staffs deal teams"
    assert all(role in (functions or []) for role, functions in seats)
    by_name = dict(session.execute(select(Person.username, Person.functions)).all())
    assert {"executive sponsor", "finance"} <= set(by_name["manager"])
    assert {"legal", "executive"} <= set(by_name["director"])
