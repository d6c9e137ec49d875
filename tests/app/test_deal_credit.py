"""The Credit section of a deal's page under AppTest: a manager splits a deal, a split that does
not add up to 100 is refused with core's message and changes nothing, and the owner's proposal
reaches the manager, who applies it. Expected shares are worked out here in cents."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

import pytest
from sqlalchemy import select

from core.demo import seed as demo
from core.org.access import in_scope, load_actor
from core.pipeline import credit
from core.pipeline.pricing import company_currency
from db.engine import make_engine, migrate, session_factory
from db.schema import CreditSplit, CreditSplitProposal, Deal, Person, Region
from tests.app.conftest import signed_in
from tests.conftest import SEED_TODAY


@pytest.fixture(scope="module")
def app_database(tmp_path_factory) -> str:
    """A database of this module's own: its tests split demo deals."""
    url = f"sqlite:///{tmp_path_factory.mktemp('credit') / 'app.db'}"
    engine = make_engine(url)
    migrate(engine)
    demo.seed(engine, scale="small", seed=11, today=SEED_TODAY)
    engine.dispose()
    return url


@pytest.fixture
def db(app_database):
    engine = make_engine(app_database)
    yield session_factory(engine)
    engine.dispose()


def _shares(amount: Decimal, percents: list[Decimal]) -> list[Decimal]:
    """Largest remainder in cents: floors first, the cents left to the largest remainders."""
    cents = amount * 100
    exact = [cents * p / 100 for p in percents]
    floors = [e.to_integral_value(rounding=ROUND_FLOOR) for e in exact]
    left = int(cents - sum(floors))
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [f / 100 for f in floors]


def _case(db, exclude: set[int]):
    """A priced won deal of a rep under the demo manager, not split, with no proposal, and a
    second active rep of the manager's area."""
    with db() as session:
        manager = session.scalar(select(Person).where(Person.username == "manager"))
        actor = load_actor(session, manager.id)
        reps = [
            p
            for p in session.scalars(
                select(Person)
                .where(Person.role == "rep", Person.active.is_(True))
                .order_by(Person.id)
            )
            if in_scope(actor, p.region_id)
        ]
        assert len(reps) >= 2, "the demo manager has at least two reps"
        deal = session.scalars(
            select(Deal)
            .where(
                Deal.owner_id.in_([r.id for r in reps]),
                Deal.status == "won",
                Deal.company_amount.is_not(None),
                Deal.credit_shared.is_(False),
                Deal.id.not_in(exclude or {0}),
                Deal.id.not_in(select(CreditSplitProposal.deal_id)),
            )
            .order_by(Deal.company_amount.desc())
        ).first()
        assert deal is not None
        owner = next(r for r in reps if r.id == deal.owner_id)
        other = next(r for r in reps if r.id != deal.owner_id)
        exclude.add(deal.id)
        return {
            "deal": deal.id,
            "name": deal.name,
            "version": deal.version,
            "amount": Decimal(deal.company_amount),
            "owner": (owner.id, owner.name, owner.username),
            "other": (other.id, other.name),
            "currency": company_currency(session),
        }


@pytest.fixture(scope="module")
def used() -> set[int]:
    return set()


def _open_as_manager(deal_id: int):
    at = signed_in("manager")
    at.session_state["pipeline_open"] = deal_id
    at.switch_page("pages/pipeline.py").run()
    assert not at.exception, at.exception
    return at


def _splits(db, deal_id: int) -> dict[int, tuple[Decimal, Decimal]]:
    with db() as session:
        return {
            s.person_id: (Decimal(s.percent), Decimal(s.amount))
            for s in session.scalars(select(CreditSplit).where(CreditSplit.deal_id == deal_id))
        }


def _credit_lines(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("- **"))


def test_a_manager_splits_a_deal_60_40_and_the_lines_show_shares_adding_up(db, used):
    case = _case(db, used)
    deal, (owner, owner_name, _), (other, other_name) = case["deal"], case["owner"], case["other"]
    at = _open_as_manager(deal)
    base = f"pipe_credit_set_{deal}"
    assert at.number_input(key=f"{base}_pct_{owner}").value == 100
    at.number_input(key=f"{base}_pct_{owner}").set_value(60.0).run()
    at.selectbox(key=f"{base}_pick").set_value(other)
    at.button(key=f"{base}_add").click().run()
    assert at.number_input(key=f"{base}_pct_{other}").value == 40  # what was missing to 100
    assert any(c.value == "✅ The percentages add up to 100 %." for c in at.caption)
    at.button(key=f"{base}_save").click().run()
    assert not at.exception and not at.error, at.error
    assert [s.value for s in at.success] == ["The credit split is saved."]

    first, second = _shares(case["amount"], [Decimal(60), Decimal(40)])
    assert first + second == case["amount"]
    assert _splits(db, deal) == {
        owner: (Decimal("60.00"), first),
        other: (Decimal("40.00"), second),
    }
    lines = _credit_lines(at)
    code = case["currency"]
    assert f"**{owner_name}**" in lines and f": 60.00 %, {first:,.2f} {code}" in lines
    assert f"**{other_name}**" in lines and f": 40.00 %, {second:,.2f} {code}" in lines
    with db() as session:
        assert session.get(Deal, deal).version == case["version"] + 1


def test_a_total_of_99_99_is_refused_with_cores_message_and_nothing_changes(db, used):
    case = _case(db, used)
    deal, (owner, *_), (other, _) = case["deal"], case["owner"], case["other"]
    at = _open_as_manager(deal)
    base = f"pipe_credit_set_{deal}"
    at.number_input(key=f"{base}_pct_{owner}").set_value(59.99).run()
    at.selectbox(key=f"{base}_pick").set_value(other)
    at.button(key=f"{base}_add").click().run()
    at.number_input(key=f"{base}_pct_{other}").set_value(40.0).run()
    assert any(
        w.value.startswith("The percentages add up to 99.99 %; they must add up to exactly 100 %")
        for w in at.warning
    )
    at.button(key=f"{base}_save").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The shares add up to 99.99 %; they must add up to 100 %."
    ]
    assert not at.success
    assert _splits(db, deal) == {}
    with db() as session:
        stored = session.get(Deal, deal)
        assert (stored.credit_shared, stored.version) == (False, case["version"])
    # the editor keeps what was typed, to correct it
    assert at.number_input(key=f"{base}_pct_{owner}").value == pytest.approx(59.99)


def test_the_owners_proposal_appears_for_the_manager_and_apply_makes_it_the_split(db, used):
    case = _case(db, used)
    deal = case["deal"]
    (owner, owner_name, username), (other, other_name) = case["owner"], case["other"]

    rep = signed_in(username)
    rep.session_state["my_deals_open"] = deal
    rep.switch_page("pages/my_deals.py").run()
    assert not rep.exception, rep.exception
    base = f"my_credit_propose_{deal}"
    assert not any(b.label == "Save the split" for b in rep.button)  # a rep only proposes
    rep.number_input(key=f"{base}_pct_{owner}").set_value(70.0).run()
    rep.selectbox(key=f"{base}_pick").set_value(other)
    rep.button(key=f"{base}_add").click().run()
    rep.text_area(key=f"{base}_note").input("They ran the technical demo.")
    rep.button(key=f"{base}_send").click().run()
    assert not rep.exception and not rep.error, rep.error
    assert [s.value for s in rep.success] == [
        "Your proposal is sent; the credit stays as it is until your manager applies it."
    ]
    assert any(m.value.startswith("**You proposed this split on") for m in rep.markdown)
    assert _splits(db, deal) == {}  # a proposal counts for nothing yet

    at = _open_as_manager(deal)
    proposed = [m.value for m in at.markdown if m.value.startswith(f"**{owner_name} proposed")]
    assert len(proposed) == 1
    assert any(
        m.value == f"- **{owner_name}** ({_region(db, owner)}): 70.00 %\n"
        f"- **{other_name}** ({_region(db, other)}): 30.00 %"
        for m in at.markdown
    )
    assert any(c.value == "Note: They ran the technical demo." for c in at.caption)
    at.button(key=f"pipe_credit_apply_{deal}").click().run()
    assert not at.exception and not at.error, at.error
    assert [s.value for s in at.success] == ["The proposed split is applied."]
    first, second = _shares(case["amount"], [Decimal(70), Decimal(30)])
    assert _splits(db, deal) == {
        owner: (Decimal("70.00"), first),
        other: (Decimal("30.00"), second),
    }
    assert not any(m.value.startswith(f"**{owner_name} proposed") for m in at.markdown)
    with db() as session:
        assert (
            session.scalar(
                select(CreditSplitProposal.id).where(CreditSplitProposal.deal_id == deal)
            )
            is None
        )


def test_a_manager_ends_a_split_by_giving_100_percent_to_the_owner(db, used):
    case = _case(db, used)
    deal, (owner, owner_name, _), (other, _) = case["deal"], case["owner"], case["other"]
    at = _open_as_manager(deal)
    base = f"pipe_credit_set_{deal}"
    at.number_input(key=f"{base}_pct_{owner}").set_value(50.0).run()
    at.selectbox(key=f"{base}_pick").set_value(other)
    at.button(key=f"{base}_add").click().run()
    at.button(key=f"{base}_save").click().run()
    assert set(_splits(db, deal)) == {owner, other}
    at.button(key=f"{base}_whole").click().run()
    assert not at.exception and not at.error, at.error
    assert [s.value for s in at.success] == [
        f"The split is ended: the whole credit goes to {owner_name}."
    ]
    assert _splits(db, deal) == {}
    with db() as session:
        assert not session.get(Deal, deal).credit_shared
    assert _credit_lines(at).startswith(f"- **{owner_name}**") and "100.00 %" in _credit_lines(at)


def _region(db, person_id: int) -> str:
    with db() as session:
        return session.scalar(
            select(Region.name)
            .join(Person, Person.region_id == Region.id)
            .where(Person.id == person_id)
        )


def test_a_save_on_an_older_copy_is_refused_and_start_again_reads_the_new_split(db, used):
    """Someone else splits the deal while the manager edits: her save is refused naming them,
    their split stays; Start again shows theirs and her next save goes through."""
    case = _case(db, used)
    deal, (owner, *_), (other, _) = case["deal"], case["owner"], case["other"]
    at = _open_as_manager(deal)
    base = f"pipe_credit_set_{deal}"
    at.number_input(key=f"{base}_pct_{owner}").set_value(60.0).run()
    at.selectbox(key=f"{base}_pick").set_value(other)
    at.button(key=f"{base}_add").click().run()

    with db.begin() as session:
        director = session.scalar(select(Person).where(Person.username == "director"))
        stored = session.get(Deal, deal)
        credit.set_split(
            session, load_actor(session, director.id), deal, stored.version, {owner: 50, other: 50}
        )
        director_name = director.name
    theirs = _splits(db, deal)
    assert {p: pct for p, (pct, _) in theirs.items()} == {
        owner: Decimal("50.00"),
        other: Decimal("50.00"),
    }

    at.button(key=f"{base}_save").click().run()
    assert not at.exception and not at.success
    assert len(at.error) == 1
    assert at.error[0].value.startswith(f"{director_name} changed this deal at ")
    assert at.error[0].value.endswith(
        "after you opened it; your change was not saved. "
        "Reload the deal to see their change, then try again."
    )
    assert _splits(db, deal) == theirs

    at.button(key=f"{base}_reset").click().run()
    assert at.number_input(key=f"{base}_pct_{owner}").value == 50
    assert at.number_input(key=f"{base}_pct_{other}").value == 50
    at.number_input(key=f"{base}_pct_{owner}").set_value(60.0).run()
    at.number_input(key=f"{base}_pct_{other}").set_value(40.0).run()
    at.button(key=f"{base}_save").click().run()
    assert [s.value for s in at.success] == ["The credit split is saved."]
    assert {p: pct for p, (pct, _) in _splits(db, deal).items()} == {
        owner: Decimal("60.00"),
        other: Decimal("40.00"),
    }


def test_a_credited_rep_reads_the_lines_without_an_editor(db, used):
    case = _case(db, used)
    deal, (owner, *_), (other, other_name) = case["deal"], case["owner"], case["other"]
    with db.begin() as session:
        manager = session.scalar(select(Person).where(Person.username == "manager"))
        credit.set_split(
            session, load_actor(session, manager.id), deal, case["version"], {owner: 75, other: 25}
        )
        username = session.get(Person, other).username
    rep = signed_in(username)
    rep.session_state["my_deals_open"] = deal
    rep.switch_page("pages/my_deals.py").run()
    assert not rep.exception and not rep.error
    _, second = _shares(case["amount"], [Decimal(75), Decimal(25)])
    assert f"**{other_name}**" in _credit_lines(rep)
    assert f": 25.00 %, {second:,.2f} {case['currency']}" in _credit_lines(rep)
    assert not any(n.label.endswith("percent of the credit") for n in rep.number_input)
    assert not any(b.label in {"Save the split", "Send the proposal"} for b in rep.button)
