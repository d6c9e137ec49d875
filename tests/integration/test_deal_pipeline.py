"""Moving deals, editing them, deal teams and lead-to-cash against SQLite and PostgreSQL."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.errors import PermissionDenied, ValidationFailed
from core.models import CashStatus, Role
from core.pipeline import deals, views
from core.pipeline.deals import CashStep, DealMove, DealUpdate
from core.pipeline.rules import EditConflict
from db.schema import AuditLog, Deal, DealStageHistory, Stage
from tests import factories
from tests.pipeline_factories import lost_reason_id, stage, team

TODAY = date.today()


def _history(session, deal_id):
    return session.execute(
        select(
            DealStageHistory.from_stage_id,
            DealStageHistory.to_stage_id,
            DealStageHistory.changed_by_id,
            DealStageHistory.amount,
            DealStageHistory.reason,
        )
        .where(DealStageHistory.deal_id == deal_id)
        .order_by(DealStageHistory.id)
    ).all()


def _tick_all(session, actor, deal):
    for item in stage(session, session.get(Stage, deal.stage_id).name).exit_checklist:
        deals.tick_checklist_item(session, actor, deal.id, deal.version, item, True)


def test_a_rep_moves_an_own_deal_forward_after_ticking_the_checklist(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    deal = factories.deal(session, t.rep, t.customer, stage_name="Lead")
    lead, qualified = stage(session, "Lead"), stage(session, "Qualified")
    with pytest.raises(ValidationFailed, match="Exit checklist of Lead not ticked"):
        deals.move_deal(session, rep, deal.id, DealMove(to_stage_id=qualified.id, seen_version=1))
    assert deal.stage_id == lead.id and _history(session, deal.id) == []

    _tick_all(session, rep, deal)
    kind = deals.move_deal(
        session, rep, deal.id, DealMove(to_stage_id=qualified.id, seen_version=deal.version)
    )
    assert kind == "forward"
    session.refresh(deal)
    assert deal.stage_id == qualified.id and deal.stage_entered_on == TODAY
    assert deal.updated_by_id == t.rep.id
    assert _history(session, deal.id) == [
        (lead.id, qualified.id, t.rep.id, Decimal("1000.00"), None)
    ]
    actions = session.scalars(
        select(AuditLog.action).where(AuditLog.entity == "deal", AuditLog.entity_id == deal.id)
    ).all()
    assert actions.count("deal.checklist") == 2 and "deal.move.forward" in actions


def test_a_rep_cannot_move_or_edit_another_reps_deal(session):
    t = team(session)
    deal = factories.deal(session, t.other_rep, t.other_customer, stage_name="Lead")
    rep = t.actor(session, t.rep)
    with pytest.raises(PermissionDenied, match="only change your own deal"):
        deals.move_deal(
            session,
            rep,
            deal.id,
            DealMove(
                to_stage_id=stage(session, "Lost").id,
                seen_version=1,
                lost_reason_id=lost_reason_id(session, "Price"),
            ),
        )
    with pytest.raises(PermissionDenied):
        deals.update_deal(session, rep, deal.id, 1, DealUpdate(next_step="call"))
    session.refresh(deal)
    assert deal.status == "open" and deal.next_step is None


def test_the_next_stage_needs_its_roles_on_the_team_before_the_deal_enters(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    deal = factories.deal(session, t.rep, t.customer, stage_name="Qualified")
    _tick_all(session, rep, deal)
    tech = stage(session, "Technical exchange")
    with pytest.raises(ValidationFailed, match="needs on the deal team: pre-sales engineer"):
        deals.move_deal(session, rep, deal.id, DealMove(to_stage_id=tech.id, seen_version=3))
    deals.add_team_member(session, rep, deal.id, t.other_rep.id, "pre-sales engineer")
    with pytest.raises(ValidationFailed, match="already on the team"):
        deals.add_team_member(session, rep, deal.id, t.other_rep.id, "pre-sales engineer")
    assert deals.move_deal(session, rep, deal.id, DealMove(to_stage_id=tech.id, seen_version=3))
    assert session.get(Deal, deal.id).stage_id == tech.id


def test_only_a_manager_over_the_deal_may_override_and_the_reason_goes_into_history(session):
    t = team(session)
    deal = factories.deal(session, t.rep, t.customer, stage_name="Lead")
    evaluation = stage(session, "Evaluation")
    move = DealMove(to_stage_id=evaluation.id, seen_version=1, override=True, reason="Fast track")
    with pytest.raises(PermissionDenied, match="manager or above"):
        deals.move_deal(session, t.actor(session, t.rep), deal.id, move)
    outsider_region = factories.region(session)
    outsider = factories.person(session, "manager", outsider_region, manages=[outsider_region])
    with pytest.raises(PermissionDenied, match="outside the regions you manage"):
        deals.move_deal(session, t.actor(session, outsider), deal.id, move)
    assert deals.move_deal(session, t.actor(session, t.manager), deal.id, move) == "override"
    (row,) = _history(session, deal.id)
    assert row.to_stage_id == evaluation.id and row.changed_by_id == t.manager.id
    assert row.reason == "Override: Fast track"


def test_winning_needs_date_and_amount_and_freezes_the_region_credited(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    deal = factories.deal(session, t.rep, t.customer, stage_name="Negotiation")
    deal.region_id = factories.region(session).id  # credited elsewhere while open
    session.flush()
    _tick_all(session, rep, deal)
    deals.add_team_member(session, rep, deal.id, t.manager.id, "executive")
    won = stage(session, "Won")
    with pytest.raises(ValidationFailed, match="closed on"):
        deals.move_deal(
            session, rep, deal.id, DealMove(to_stage_id=won.id, seen_version=deal.version, amount=5)
        )
    # the manager of the deal's old region is not the rep's: the rep still owns it
    deals.move_deal(
        session,
        rep,
        deal.id,
        DealMove(
            to_stage_id=won.id,
            seen_version=deal.version,
            closed_on=TODAY,
            amount=Decimal("4200.50"),
        ),
    )
    session.refresh(deal)
    assert (deal.status, deal.closed_on, deal.amount) == ("won", TODAY, Decimal("4200.50"))
    assert deal.region_id == t.rep.region_id
    assert _history(session, deal.id)[-1].amount == Decimal("4200.50")


def test_losing_needs_a_reason_and_reopening_needs_a_manager(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    deal = factories.deal(session, t.rep, t.customer, stage_name="Evaluation")
    lost, lead = stage(session, "Lost"), stage(session, "Lead")
    with pytest.raises(ValidationFailed, match="lost deal needs a reason from the list"):
        deals.move_deal(session, rep, deal.id, DealMove(to_stage_id=lost.id, seen_version=1))
    price = lost_reason_id(session, "Price")
    deals.move_deal(
        session, rep, deal.id, DealMove(to_stage_id=lost.id, seen_version=1, lost_reason_id=price)
    )
    assert (deal.status, deal.lost_reason, deal.closed_on) == ("lost", "Price", TODAY)
    assert deal.lost_reason_id == price
    reopen = DealMove(to_stage_id=lead.id, seen_version=deal.version, reason="Budget is back")
    with pytest.raises(PermissionDenied, match="reopen"):
        deals.move_deal(session, rep, deal.id, reopen)
    assert deals.move_deal(session, t.actor(session, t.manager), deal.id, reopen) == "reopen"
    assert (deal.status, deal.closed_on, deal.lost_reason) == ("open", None, None)
    assert deal.lost_reason_id is None
    assert len(_history(session, deal.id)) == 2


def test_moving_the_close_date_later_twice_makes_a_deal_slipping(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    deal = factories.deal(session, t.rep, t.customer, expected_close=TODAY + timedelta(days=10))
    deals.update_deal(session, rep, deal.id, 1, DealUpdate(expected_close=TODAY + timedelta(20)))
    deals.update_deal(session, rep, deal.id, 2, DealUpdate(expected_close=TODAY + timedelta(5)))
    assert deal.close_date_changes == 1
    deals.update_deal(session, rep, deal.id, 3, DealUpdate(expected_close=TODAY + timedelta(40)))
    assert deal.close_date_changes == 2
    frame = views.my_open_deals(session, rep)
    row = frame[frame["id"] == deal.id].iloc[0]
    assert bool(row["slipping"]) and row["expected_close"] == TODAY + timedelta(40)
    slips = session.scalar(
        select(func.count()).where(AuditLog.entity_id == deal.id, AuditLog.action == "deal.slip")
    )
    assert slips == 2


def test_a_save_from_a_window_left_behind_tells_the_rep_it_was_their_own_save(session):
    t = team(session)
    deal = factories.deal(session, t.rep, t.customer)
    seen = deal.version
    rep = t.actor(session, t.rep)
    deals.update_deal(session, rep, deal.id, seen, DealUpdate(next_step="A"))
    with pytest.raises(EditConflict, match="^You saved this deal in another window at"):
        deals.update_deal(session, rep, deal.id, seen, DealUpdate(next_step="B"))
    assert session.get(Deal, deal.id).next_step == "A"


def test_a_second_save_from_an_old_copy_is_refused_naming_who_changed_the_deal(session):
    t = team(session)
    deal = factories.deal(session, t.rep, t.customer)
    seen = deal.version
    deals.update_deal(
        session, t.actor(session, t.manager), deal.id, seen, DealUpdate(next_step="A")
    )
    with pytest.raises(EditConflict, match=f"^{t.manager.name} changed this deal at"):
        deals.update_deal(
            session, t.actor(session, t.rep), deal.id, seen, DealUpdate(next_step="B")
        )
    session.refresh(deal)
    assert deal.next_step == "A" and deal.updated_by_id == t.manager.id


def test_lead_to_cash_records_contract_invoice_and_payment_in_order(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    deal = factories.deal(session, t.rep, t.customer, status="won", closed_on=TODAY)
    open_deal = factories.deal(session, t.rep, t.customer)
    step = CashStep(step=CashStatus.CONTRACT_SIGNED, on=TODAY, amount=100, seen_version=1)
    with pytest.raises(ValidationFailed, match="won deals only"):
        deals.record_cash_step(session, rep, open_deal.id, step)
    with pytest.raises(ValidationFailed, match="next step is contract signed, not invoiced"):
        deals.record_cash_step(
            session, rep, deal.id, step.model_copy(update={"step": CashStatus.INVOICED})
        )
    deals.record_cash_step(
        session, rep, deal.id, step.model_copy(update={"on": TODAY - timedelta(3)})
    )
    with pytest.raises(ValidationFailed, match="before the previous step"):
        deals.record_cash_step(
            session,
            rep,
            deal.id,
            CashStep(step="invoiced", on=TODAY - timedelta(4), amount=100, seen_version=2),
        )
    deals.record_cash_step(
        session, rep, deal.id, CashStep(step="invoiced", on=TODAY, amount=100, seen_version=2)
    )
    deals.record_cash_step(
        session,
        rep,
        deal.id,
        CashStep(step="paid", on=TODAY, amount=Decimal("99.5"), seen_version=3),
    )
    detail = views.deal_detail(session, rep, deal.id)
    assert detail.cash_status == CashStatus.PAID and detail.next_cash_step is None
    assert (detail.contract_signed_on, detail.paid_amount) == (
        TODAY - timedelta(3),
        Decimal("99.5"),
    )


def test_deal_detail_shows_team_checklist_history_and_what_blocks_the_next_stage(session):
    t = team(session)
    rep = t.actor(session, t.rep)
    deal = factories.deal(session, t.rep, t.customer, stage_name="Qualified")
    deals.tick_checklist_item(session, rep, deal.id, 1, "Budget confirmed", True)
    detail = views.deal_detail(session, rep, deal.id)
    assert [(c.item, c.done) for c in detail.checklist] == [
        ("Budget confirmed", True),
        ("Decision maker known", False),
    ]
    assert detail.next_stage == "Technical exchange"
    assert detail.blockers == [
        "Exit checklist of Qualified not ticked: Decision maker known",
        "Technical exchange needs on the deal team: pre-sales engineer",
    ]
    assert detail.can_edit and detail.version == 2
    with pytest.raises(PermissionDenied):
        views.deal_detail(session, t.actor(session, t.other_rep), deal.id)
    deals.add_team_member(session, rep, deal.id, t.other_rep.id, "pre-sales engineer")
    as_member = views.deal_detail(session, t.actor(session, t.other_rep), deal.id)
    assert not as_member.can_edit and [m.role for m in as_member.team] == ["pre-sales engineer"]


def test_the_pipeline_board_sums_match_the_deals_in_the_managers_subtree(session):
    t = team(session)
    manager = t.actor(session, t.manager)
    amounts = {"Lead": ["100.00", "250.50"], "Evaluation": ["1000.00"]}
    for name, values in amounts.items():
        for value in values:
            factories.deal(session, t.rep, t.customer, stage_name=name, amount=Decimal(value))
    factories.deal(session, t.rep, t.customer, status="won", closed_on=TODAY)
    board = views.pipeline_board(session, manager, views.PipelineFilter()).set_index("stage")
    probability = {s.name: s.probability for s in session.scalars(select(Stage))}
    assert board.loc["Lead", "deals"] == 2 and board.loc["Lead", "amount"] == Decimal("350.50")
    assert board.loc["Evaluation", "weighted"] == (Decimal(1000) * probability["Evaluation"])
    assert board.loc["Won", "deals"] == 0 and board["deals"].sum() == 3
    table = views.pipeline_deals(session, manager, views.PipelineFilter(owner_id=t.rep.id))
    assert sorted(table["amount"]) == [Decimal("100.00"), Decimal("250.50"), Decimal("1000.00")]
    with pytest.raises(PermissionDenied):
        views.pipeline_board(session, manager, views.PipelineFilter(region_id=1))


def test_a_director_sees_the_whole_company_board(session):
    director = factories.actor(session, factories.person(session, "director"))
    board = views.pipeline_board(session, director, views.PipelineFilter())
    open_by_stage = dict(
        session.execute(
            select(Stage.name, func.count(Deal.id))
            .join(Deal, Deal.stage_id == Stage.id)
            .where(Deal.status == "open")
            .group_by(Stage.name)
        ).all()
    )
    shown = {row.stage: row.deals for row in board.itertuples() if row.deals}
    assert shown == open_by_stage
    assert director.role == Role.DIRECTOR


def test_a_save_racing_another_is_refused_by_the_version_column(engine):
    """Two people save the same deal at once: the one whose UPDATE comes second is refused
    (the version column makes its UPDATE match no row) and the first save stands."""
    from sqlalchemy.orm import Session

    from core.org.access import load_actor

    with Session(engine) as first, Session(engine) as second:
        deal = first.scalars(select(Deal).where(Deal.status == "open").limit(1)).one()
        deal_id, owner_id, original = deal.id, deal.owner_id, deal.next_step
        seen = deal.version
        other = second.get(Deal, deal_id)
        deals.update_deal(
            second, load_actor(second, owner_id), deal_id, other.version, DealUpdate(next_step="B")
        )
        second.commit()
        with pytest.raises(EditConflict, match="Someone else saved this deal a moment ago"):
            deals.update_deal(
                first, load_actor(first, owner_id), deal_id, seen, DealUpdate(next_step="A")
            )
        first.rollback()
    with Session(engine) as check:
        saved = check.get(Deal, deal_id)
        assert saved.next_step == "B" and saved.version == seen + 1
        saved.next_step = original  # leave the shared demo data as it was
        check.commit()


def test_the_board_cards_are_the_largest_deals_of_each_stage(session):
    t = team(session)
    manager = t.actor(session, t.manager)
    lead_amounts = ["50.00", "900.00", "300.00", "700.00"]
    for value in lead_amounts:
        factories.deal(session, t.rep, t.customer, stage_name="Lead", amount=Decimal(value))
    factories.deal(session, t.rep, t.customer, stage_name="Evaluation", amount=Decimal(5))
    top = views.pipeline_top_deals(
        session, manager, views.PipelineFilter(region_id=t.region.id), per_stage=3
    )
    expected = sorted((Decimal(v) for v in lead_amounts), reverse=True)[:3]
    assert list(top[top["stage"] == "Lead"]["amount"]) == expected
    assert list(top["stage"]) == ["Lead", "Lead", "Lead", "Evaluation"]


def test_the_region_filter_lists_each_region_under_its_parent_indented_by_depth(session):
    from db.schema import Person, Region

    root = session.scalar(select(Region.id).where(Region.parent_id.is_(None)))
    first_child = session.scalar(select(Region).where(Region.parent_id == root).limit(1))
    factories.region(session, "A late team", parent=first_child)  # the newest id, deep down
    parents = dict(session.execute(select(Region.id, Region.parent_id)).all())

    def ancestors(region_id):
        while parents[region_id] is not None:
            region_id = parents[region_id]
            yield region_id

    director = session.scalar(select(Person).where(Person.username == "director"))
    options = views.pipeline_filter_options(session, factories.actor(session, director))
    order = [region_id for region_id, _ in options["regions"]]
    assert sorted(order) == sorted(parents)
    for position, (region_id, label) in enumerate(options["regions"]):
        depth, parent = 0, parents[region_id]
        if parent is not None:  # the parent comes first and only its subtree sits between
            between = order[order.index(parent) + 1 : position]
            assert all(parent in ancestors(r) for r in between), label
        while parent is not None:
            depth, parent = depth + 1, parents[parent]
        assert label.startswith("· " * depth) and not label.startswith("· " * (depth + 1))
