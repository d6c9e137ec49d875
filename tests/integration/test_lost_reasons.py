"""Lost reasons from the administrator's list: keeping the list, marking a deal lost with a
listed reason and a note, the funnel grouped by the listed reason, and deal imports mapping
another system's wording onto the list. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, func, inspect, select, update

from core.errors import PermissionDenied, ValidationFailed
from core.org.access import SYSTEM_ACTOR
from core.performance import funnel
from core.periods import parse_period
from core.pipeline import deals, lost_reasons, views
from core.transfer import ColumnMapping, ImportFailed, import_table
from db.schema import AuditLog, Deal, LostReason, Person
from tests import factories
from tests.pipeline_factories import lost_reason_id, stage, team
from tests.transfer_support import csv_table

TODAY = date.today()


def _admin(session):
    return factories.actor(
        session, session.scalar(select(Person).where(Person.username == "admin"))
    )


def _names(session, *, include_retired: bool = False) -> list[str]:
    return [
        r.name for r in lost_reasons.list_lost_reasons(session, include_retired=include_retired)
    ]


def _lose(session, actor, deal, reason_id, note=None):
    deals.move_deal(
        session,
        actor,
        deal.id,
        deals.DealMove(
            to_stage_id=stage(session, "Lost").id,
            seen_version=deal.version,
            lost_reason_id=reason_id,
            lost_note=note,
        ),
    )


def test_the_demo_list_is_in_order_and_counts_its_lost_deals(session):
    rows = lost_reasons.list_lost_reasons(session)
    assert [r.name for r in rows] == [
        "Price",
        "Competitor",
        "No decision",
        "Timing",
        "Product fit",
        "Budget cut",
    ]
    counted = dict(
        session.execute(
            select(LostReason.name, func.count())
            .join(Deal, Deal.lost_reason_id == LostReason.id)
            .group_by(LostReason.name)
        ).all()
    )
    assert {r.name: r.deals for r in rows} == {r.name: counted.get(r.name, 0) for r in rows}
    assert sum(counted.values()) == session.scalar(
        select(func.count()).select_from(Deal).where(Deal.status == "lost")
    )


def test_only_administrators_and_directors_keep_the_list(session):
    t = team(session)
    before = _names(session, include_retired=True)
    price = lost_reason_id(session, "Price")
    for who in (t.rep, t.manager):
        actor = t.actor(session, who)
        for change in (
            lambda a: lost_reasons.add_lost_reason(session, a, "Went in-house"),
            lambda a: lost_reasons.rename_lost_reason(session, a, price, "Too dear"),
            lambda a: lost_reasons.retire_lost_reason(session, a, price),
            lambda a: lost_reasons.reorder_lost_reasons(session, a, []),
        ):
            with pytest.raises(PermissionDenied, match="change the list of lost reasons"):
                change(actor)
    assert _names(session, include_retired=True) == before


def test_an_administrator_adds_renames_retires_restores_and_reorders(session):
    admin = _admin(session)
    new_id = lost_reasons.add_lost_reason(session, admin, "  Went   in-house ")
    assert _names(session)[-1] == "Went in-house"
    with pytest.raises(ValidationFailed, match="already on the list"):
        lost_reasons.add_lost_reason(session, admin, "went IN-HOUSE")
    with pytest.raises(ValidationFailed, match="already on the list"):
        lost_reasons.rename_lost_reason(session, admin, new_id, "price")
    with pytest.raises(ValidationFailed, match="name"):
        lost_reasons.add_lost_reason(session, admin, "   ")
    lost_reasons.rename_lost_reason(session, admin, new_id, "Built it themselves")
    lost_reasons.retire_lost_reason(session, admin, new_id)
    assert "Built it themselves" not in _names(session)
    assert "Built it themselves" in _names(session, include_retired=True)
    with pytest.raises(ValidationFailed, match="already retired"):
        lost_reasons.retire_lost_reason(session, admin, new_id)
    lost_reasons.restore_lost_reason(session, admin, new_id)
    ids = [r.id for r in lost_reasons.list_lost_reasons(session, include_retired=True)]
    with pytest.raises(ValidationFailed, match="exactly once"):
        lost_reasons.reorder_lost_reasons(session, admin, ids[:-1])
    with pytest.raises(ValidationFailed, match="exactly once"):
        lost_reasons.reorder_lost_reasons(session, admin, [*ids[:-1], ids[0]])
    lost_reasons.reorder_lost_reasons(session, admin, ids[::-1])
    assert _names(session)[0] == "Built it themselves"
    actions = list(
        session.scalars(
            select(AuditLog.action).where(AuditLog.entity == "lost_reason").order_by(AuditLog.id)
        )
    )
    assert actions[-5:] == [
        "lost_reason.add",
        "lost_reason.rename",
        "lost_reason.retire",
        "lost_reason.restore",
        "lost_reason.reorder",
    ]
    with pytest.raises(ValidationFailed, match="already set up"):
        lost_reasons.create_default_lost_reasons(session, admin)


def test_a_deal_is_lost_only_for_a_reason_on_offer_and_keeps_its_note(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    deal = factories.deal(session, t.rep, t.customer, stage_name="Evaluation")
    with pytest.raises(ValidationFailed, match="reason from the list.*Price, Competitor"):
        _lose(session, rep, deal, None)
    timing = lost_reason_id(session, "Timing")
    lost_reasons.retire_lost_reason(session, _admin(session), timing)
    with pytest.raises(ValidationFailed, match="not on the list any more.*Price"):
        _lose(session, rep, deal, timing)
    with pytest.raises(ValidationFailed, match="not on the list"):
        _lose(session, rep, deal, 10**6)
    assert (deal.status, deal.version) == ("open", 1)
    price = lost_reason_id(session, "Price")
    _lose(session, rep, deal, price, "  Their budget halved  ")
    assert (deal.status, deal.lost_reason_id, deal.lost_reason, deal.lost_note) == (
        "lost",
        price,
        "Price",
        "Their budget halved",
    )
    entry = session.scalars(
        select(AuditLog).where(AuditLog.entity_id == deal.id, AuditLog.entity == "deal")
    ).all()[-1]
    assert entry.action == "deal.move.lost" and entry.after["lost_reason_id"] == price


def test_the_funnel_counts_losses_by_the_listed_reason_under_its_current_name(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    cohort = [factories.deal(session, t.rep, t.customer, stage_name="Lead") for _ in range(4)]
    for deal in cohort:
        deal.created_on = date(2031, 4, 5)
    session.flush()
    price, competitor = lost_reason_id(session, "Price"), lost_reason_id(session, "Competitor")
    for deal, reason in zip(cohort, (price, price, competitor), strict=False):
        _lose(session, rep, deal, reason)
    admin = _admin(session)
    lost_reasons.rename_lost_reason(session, admin, price, "Too expensive")
    lost_reasons.retire_lost_reason(session, admin, competitor)
    result = funnel.funnel(session, admin, parse_period("2031Q2"), region_id=t.region.id)
    assert (result.deals, result.lost) == (4, 3)
    assert result.lost_reasons == [("Too expensive", 2), ("Competitor", 1)]
    # the wording of the day stays on the deals
    assert [d.lost_reason for d in cohort[:3]] == ["Price", "Price", "Competitor"]


DEALS = """external_id,customer,owner,stage,amount,created_on,closed_on,lost_reason
LR-1,{customer},{owner},Lost,100,2026-01-10,2026-02-10,Chose competitor: cheaper
LR-2,{customer},{owner},Lost,200,2026-01-10,2026-02-11,price
LR-3,{customer},{owner},Lost,300,2026-01-10,2026-02-12,
"""


def test_an_import_maps_free_text_reasons_onto_the_list_or_refuses_them(session):
    t = team(session)
    text = DEALS.format(customer=t.customer.name, owner=t.rep.email)
    before = session.scalar(select(func.count()).select_from(Deal))
    with pytest.raises(ImportFailed) as refused:
        import_table(session, SYSTEM_ACTOR, "deals", csv_table(text))
    [problem] = refused.value.problems
    assert (problem.row, problem.column, problem.value) == (
        2,
        "lost_reason",
        "Chose competitor: cheaper",
    )
    assert "value map" in problem.reason and "Price, Competitor, No decision" in problem.reason
    assert session.scalar(select(func.count()).select_from(Deal)) == before
    mapping = ColumnMapping(values={"lost_reason": {"Chose competitor: cheaper": "Competitor"}})
    result = import_table(session, SYSTEM_ACTOR, "deals", csv_table(text), mapping)
    assert result.created == 3
    imported = {
        d.external_id: (d.lost_reason_id, d.lost_reason)
        for d in session.scalars(select(Deal).where(Deal.external_id.like("LR-%")))
    }
    assert imported == {
        "LR-1": (lost_reason_id(session, "Competitor"), "Competitor"),
        "LR-2": (lost_reason_id(session, "Price"), "Price"),
        "LR-3": (None, None),
    }


def test_a_chunked_first_import_starts_the_list_with_reasons_from_every_chunk(session):
    """The list is empty before the file: a reason first met in a later chunk is added too, in
    the dry run and in the real import alike."""
    t = team(session)
    session.execute(update(Deal).values(lost_reason_id=None))
    session.execute(delete(LostReason))
    text = (
        "external_id,customer,owner,stage,amount,created_on,closed_on,lost_reason\n"
        f"CH-1,{t.customer.name},{t.rep.email},Lost,100,2026-01-10,2026-02-10,Budget cut\n"
        f"CH-2,{t.customer.name},{t.rep.email},Lost,200,2026-01-10,2026-02-11,Went quiet\n"
    )
    dry = import_table(session, SYSTEM_ACTOR, "deals", csv_table(text), dry_run=True, chunk_rows=1)
    assert dry.created == 2
    result = import_table(session, SYSTEM_ACTOR, "deals", csv_table(text), chunk_rows=1)
    assert result.created == 2
    assert _names(session) == ["Budget cut", "Went quiet"]
    imported = {
        d.external_id: d.lost_reason_id
        for d in session.scalars(select(Deal).where(Deal.external_id.like("CH-%")))
    }
    assert imported == {
        "CH-1": lost_reason_id(session, "Budget cut"),
        "CH-2": lost_reason_id(session, "Went quiet"),
    }


def test_the_mark_lost_picker_reads_names_only_and_the_counts_have_an_index(session):
    admin = _admin(session)
    retired = lost_reasons.add_lost_reason(session, admin, "Went quiet for a year")
    lost_reasons.retire_lost_reason(session, admin, retired)
    offered = lost_reasons.reasons_on_offer(session)
    assert offered == [(r.id, r.name) for r in lost_reasons.list_lost_reasons(session)]
    assert "Went quiet for a year" not in [name for _, name in offered]
    indexed = [i["column_names"] for i in inspect(session.connection()).get_indexes("deal")]
    assert ["lost_reason_id"] in indexed


def test_the_deal_shows_its_listed_reason_under_the_current_name(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    deal = factories.deal(session, t.rep, t.customer, stage_name="Evaluation")
    price = lost_reason_id(session, "Price")
    _lose(session, rep, deal, price)
    lost_reasons.rename_lost_reason(session, _admin(session), price, "Too expensive")
    assert deal.lost_reason == "Price"  # the wording of the day stays on the deal
    assert views.deal_detail(session, rep, deal.id).lost_reason == "Too expensive"
    old = factories.deal(session, t.rep, t.customer, status="lost", closed_on=TODAY)
    old.lost_reason = "Lost before the list"
    session.flush()
    assert views.deal_detail(session, rep, old.id).lost_reason == "Lost before the list"
