"""My deals, Pipeline, Pipeline reviews and Stage settings under AppTest, per role."""

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import func, select

from core.org.regions import load_region_tree
from db.engine import make_engine, session_factory
from db.schema import (
    Activity,
    Deal,
    DealTeamMember,
    Person,
    PipelineReview,
    RegionManager,
    ReviewCommitment,
    Stage,
)
from tests.app.conftest import signed_in
from tests.attainment_books import priced
from ui.format import money


def _db(url):
    return session_factory(make_engine(url))()


def _person(session, username):
    return session.scalar(select(Person).where(Person.username == username))


def test_a_rep_sees_own_open_deals_soonest_close_first(app_database):
    at = signed_in("rep").switch_page("pages/my_deals.py").run()
    assert not at.exception
    with _db(app_database) as session:
        rep = _person(session, "rep")
        expected = session.execute(
            select(Deal.id, Deal.name)
            .where(Deal.owner_id == rep.id, Deal.status == "open")
            .order_by(Deal.expected_close, Deal.id)
        ).all()
    assert expected, "the demo rep has open deals"
    shown = [b.key for b in at.button if b.key and b.key.startswith("my_open_")]
    assert shown == [f"my_open_{deal_id}" for deal_id, _ in expected[:25]]
    assert at.caption[0].value.startswith(f"{len(expected)} open deals")


def test_a_rep_opens_a_deal_logs_a_call_and_changes_the_next_step(app_database):
    at = signed_in("rep").switch_page("pages/my_deals.py").run()
    first = next(b for b in at.button if b.key and b.key.startswith("my_open_"))
    deal_id = int(first.key.removeprefix("my_open_"))
    first.click().run()
    assert not at.exception
    with _db(app_database) as session:
        deal = session.get(Deal, deal_id)
        before = session.scalar(select(func.count()).where(Activity.deal_id == deal_id))
    assert at.subheader[0].value == deal.name
    form = f"my_act_{deal_id}"
    at.segmented_control(key=f"{form}_type").set_value("call")
    at.text_input(key=f"{form}_outcome").input("Agreed a demo")
    next(b for b in at.button if "Log activity" in b.label).click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["Call logged."]
    with _db(app_database) as session:
        logged = session.scalars(
            select(Activity).where(Activity.deal_id == deal_id).order_by(Activity.id.desc())
        ).first()
        count = session.scalar(select(func.count()).where(Activity.deal_id == deal_id))
    assert count == before + 1 and (logged.type, logged.outcome) == ("call", "Agreed a demo")

    edit = next(t for t in at.text_input if t.label == "Next step")
    edit.input("Send the proposal")
    next(b for b in at.button if b.label == "Save").click().run()
    assert [s.value for s in at.success] == ["Saved."]
    with _db(app_database) as session:
        assert session.get(Deal, deal_id).next_step == "Send the proposal"


def test_a_rep_cannot_move_on_until_the_checklist_is_ticked(app_database):
    with _db(app_database) as session:
        rep = _person(session, "rep")
        lead = session.scalar(select(Stage).where(Stage.name == "Lead"))
        deal = session.scalars(
            select(Deal).where(
                Deal.owner_id == rep.id, Deal.status == "open", Deal.stage_id == lead.id
            )
        ).first()
        deal.checklist_done = []
        session.commit()
        deal_id, items = deal.id, list(lead.exit_checklist)
    at = signed_in("rep")
    at.session_state["my_deals_open"] = deal_id
    at.switch_page("pages/my_deals.py").run()
    move = next(b for b in at.button if b.label.startswith("➡️ Move to"))
    assert move.disabled
    for index in range(len(items)):
        at.checkbox(key=f"my_chk_{deal_id}_{index}").check().run()
        assert not at.exception and not at.error
    move = next(b for b in at.button if b.label.startswith("➡️ Move to"))
    assert not move.disabled
    move.click().run()
    assert [s.value for s in at.success] == ["Moved to Qualified."]
    with _db(app_database) as session:
        assert session.scalar(select(Stage.name).join(Deal).where(Deal.id == deal_id)) == (
            "Qualified"
        )


def test_pipeline_is_not_in_a_reps_navigation_and_stages_only_in_an_admins():
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        signed_in("rep").switch_page("pages/pipeline.py")
    for username in ("rep", "manager", "director"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            signed_in(username).switch_page("pages/stages.py")


def _open_deal_count(session, region_ids=None):
    """Open deals, and their amount in the company currency (converted by
    tests/attainment_books; a deal without a rate counts but adds nothing)."""
    query = select(
        Deal.id, Deal.amount, Deal.currency, Deal.status, Deal.closed_on, Deal.region_id
    ).where(Deal.status == "open")
    if region_ids is not None:
        query = query.where(Deal.region_id.in_(region_ids))
    result = session.execute(query)
    deals = pd.DataFrame(result.all(), columns=list(result.keys()))
    return len(deals), sum(priced(session, deals).amount, Decimal(0))


@pytest.mark.parametrize("username", ["manager", "director"])
def test_the_pipeline_board_adds_up_the_deals_each_leader_may_see(app_database, username):
    at = signed_in(username).switch_page("pages/pipeline.py").run()
    assert not at.exception and not at.error
    with _db(app_database) as session:
        person = _person(session, username)
        regions = None
        if username == "manager":
            tree = load_region_tree(session)
            managed = session.scalars(
                select(RegionManager.region_id).where(RegionManager.person_id == person.id)
            ).all()
            regions = set().union(*(tree.subtree(r) for r in managed))
        count, amount = _open_deal_count(session, regions)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Deals"] == f"{count:,}" and metrics["Amount"] == money(amount)
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    at.segmented_control(key="pipe_view").set_value("Table").run()
    assert not at.exception
    assert len(at.dataframe[0].value) == min(count, 2000)
    assert [b.label for b in at.get("download_button")] == ["⬇ CSV", "⬇ Excel"]


def test_a_bad_close_period_shows_a_clear_error(app_database):
    at = signed_in("manager").switch_page("pages/pipeline.py").run()
    at.text_input(key="pipe_period").input("next spring").run()
    assert not at.exception
    assert "Unknown period 'next spring'" in at.error[0].value


def test_a_manager_opens_a_deal_from_the_pipeline_and_adds_a_team_member(app_database):
    with _db(app_database) as session:
        manager = _person(session, "manager")
        director = _person(session, "director")
        tree = load_region_tree(session)
        managed = session.scalars(
            select(RegionManager.region_id).where(RegionManager.person_id == manager.id)
        ).all()
        deal_id = session.scalar(
            select(Deal.id)
            .where(Deal.status == "open", Deal.region_id.in_(tree.subtree(managed[0])))
            .limit(1)
        )
    at = signed_in("manager")
    at.session_state["pipeline_open"] = deal_id
    at.switch_page("pages/pipeline.py").run()
    assert not at.exception
    assert any(s.value == "Deal team" or "Deal team" in s.value for s in at.markdown)
    at.selectbox(key="pipe_team_person").select((director.id, f"{director.name} (director)"))
    at.selectbox(key="pipe_team_role").select("executive")
    next(b for b in at.button if b.label == "Add to team").click().run()
    assert not at.exception and not at.error
    with _db(app_database) as session:
        roles = session.scalars(
            select(DealTeamMember.role).where(
                DealTeamMember.deal_id == deal_id, DealTeamMember.person_id == director.id
            )
        ).all()
    assert "executive" in roles


def test_a_manager_records_a_review_and_the_rep_sees_the_commitment(app_database):
    at = signed_in("manager").switch_page("pages/reviews.py").run()
    assert not at.exception
    with _db(app_database) as session:
        rep = _person(session, "rep")
        reviews_before = session.scalar(select(func.count()).where(PipelineReview.rep_id == rep.id))
    rep_box = at.selectbox(key="review_rep")
    rep_box.select((rep.id, rep.name)).run()
    at.text_area(key="review_notes").input("Focus on the two biggest deals")
    at.text_input(key="review_commitment_0").input("Call the CFO of the biggest deal")
    next(b for b in at.button if b.label == "Save review").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["Review saved."]
    with _db(app_database) as session:
        assert (
            session.scalar(select(func.count()).where(PipelineReview.rep_id == rep.id))
            == reviews_before + 1
        )
        latest = session.scalar(
            select(PipelineReview)
            .where(PipelineReview.rep_id == rep.id)
            .order_by(PipelineReview.id.desc())
        )
        assert latest.held_on == date.today()
        assert (
            session.scalar(
                select(ReviewCommitment.description).where(ReviewCommitment.review_id == latest.id)
            )
            == "Call the CFO of the biggest deal"
        )

    as_rep = signed_in("rep").switch_page("pages/reviews.py").run()
    assert not as_rep.exception
    assert any("Call the CFO of the biggest deal" in m.value for m in as_rep.markdown)


def test_an_admin_saves_stages_and_a_broken_set_is_refused(app_database):
    at = signed_in("admin").switch_page("pages/stages.py").run()
    assert not at.exception
    with _db(app_database) as session:
        won_row = (
            session.scalars(select(Stage).order_by(Stage.position))
            .all()
            .index(session.scalar(select(Stage).where(Stage.is_won)))
        )
    at.session_state["stage_editor"] = {
        "edited_rows": {won_row: {"probability %": 50}},
        "added_rows": [],
        "deleted_rows": [],
    }
    next(b for b in at.button if b.label == "Save stages").click().run()
    assert not at.exception
    assert "must have probability 100%" in at.error[0].value
    with _db(app_database) as session:
        assert session.scalar(select(Stage.probability).where(Stage.is_won)) == 1
    at.session_state["stage_editor"] = {
        "edited_rows": {0: {"max days": 14}},
        "added_rows": [],
        "deleted_rows": [],
    }
    next(b for b in at.button if b.label == "Save stages").click().run()
    assert [s.value for s in at.success] == ["Stages saved."]
    with _db(app_database) as session:
        assert session.scalar(select(Stage.max_days).order_by(Stage.position).limit(1)) == 14


def test_a_second_save_is_refused_on_screen_naming_who_changed_the_deal(app_database):
    from core.org.access import load_actor
    from core.pipeline import deals
    from core.pipeline.deals import DealUpdate

    at = signed_in("rep").switch_page("pages/my_deals.py").run()
    first = next(b for b in at.button if b.key and b.key.startswith("my_open_"))
    deal_id = int(first.key.removeprefix("my_open_"))
    first.click().run()
    with _db(app_database) as session:  # the manager saves while the rep has the deal open
        manager = _person(session, "manager")
        deal = session.get(Deal, deal_id)
        deals.update_deal(
            session,
            load_actor(session, manager.id),
            deal_id,
            deal.version,
            DealUpdate(next_step="Manager's plan"),
        )
        session.commit()
        manager_name = manager.name
    next(t for t in at.text_input if t.label == "Next step").input("Rep's plan")
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception
    assert at.error[0].value.startswith(f"{manager_name} changed this deal at")
    with _db(app_database) as session:
        assert session.get(Deal, deal_id).next_step == "Manager's plan"


def _card(at, deal_name):
    return next(m.value for m in at.markdown if m.value.startswith(f"**{deal_name}**"))


def test_my_deals_marks_slipping_by_the_admins_threshold_and_overdue_deals(app_database):
    from core.org.access import load_actor
    from core.performance import alerts

    with _db(app_database) as session:
        rep = _person(session, "rep")
        first = session.scalars(
            select(Deal)
            .where(Deal.owner_id == rep.id, Deal.status == "open")
            .order_by(Deal.expected_close, Deal.id)
            .limit(3)
        ).all()
        assert len(first) == 3, "the demo rep has open deals"
        saved = {d.id: (d.close_date_changes, d.expected_close) for d in first}
        before = alerts.thresholds(session)
        twice, thrice, late = first
        twice.close_date_changes, thrice.close_date_changes = 2, 3
        late.close_date_changes, late.expected_close = 0, date.today().replace(year=2000)
        alerts.set_thresholds(
            session, load_actor(session, _person(session, "admin").id), {"slipping_changes": 3}
        )
        session.commit()
        names = twice.name, thrice.name, late.name
        slipping = session.scalar(
            select(func.count()).where(
                Deal.owner_id == rep.id, Deal.status == "open", Deal.close_date_changes >= 3
            )
        )
    try:
        at = signed_in("rep").switch_page("pages/my_deals.py").run()
        assert not at.exception
        assert at.caption[0].value.endswith(f"⚠️ {slipping} slipping")
        assert "slipping" not in _card(at, names[0])
        assert "⚠️ slipping" in _card(at, names[1])
        assert "⏰ overdue" in _card(at, names[2]) and "slipping" not in _card(at, names[2])
    finally:
        with _db(app_database) as session:
            for deal_id, (changes, close) in saved.items():
                deal = session.get(Deal, deal_id)
                deal.close_date_changes, deal.expected_close = changes, close
            alerts.set_thresholds(
                session, load_actor(session, _person(session, "admin").id), before.model_dump()
            )
            session.commit()


def test_a_deal_whose_next_stage_is_won_shows_the_won_form_instead_of_a_move(app_database):
    with _db(app_database) as session:
        rep = _person(session, "rep")
        negotiation = session.scalar(select(Stage).where(Stage.name == "Negotiation"))
        deal = session.scalars(
            select(Deal).where(
                Deal.owner_id == rep.id,
                Deal.status == "open",
                Deal.stage_id == negotiation.id,
            )
        ).first()
        if deal is None:  # put one of the rep's open deals into Negotiation
            deal = session.scalars(
                select(Deal).where(Deal.owner_id == rep.id, Deal.status == "open")
            ).first()
            deal.stage_id = negotiation.id
            session.commit()
        deal_id = deal.id
    at = signed_in("rep")
    at.session_state["my_deals_open"] = deal_id
    at.switch_page("pages/my_deals.py").run()
    assert not at.exception
    assert any(b.label == "🏆 Mark won" for b in at.button)
    assert not any(b.label.startswith("➡️ Move to") for b in at.button)
