"""The deal page's credit read model (core.pipeline.credit_view) on SQLite and PostgreSQL: who
sees the lines, who may set or propose a split, who sees a pending proposal, and which people
the editor offers. Expected values come from the records each test builds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.errors import PermissionDenied
from core.pipeline import credit, pricing
from core.pipeline.credit_view import credit_section, split_candidates
from tests import factories as f


@pytest.fixture
def team(session):
    north = f.region(session, "Credit view North")
    south = f.region(session, "Credit view South")
    elsewhere = f.region(session, "Credit view Elsewhere")
    boss = f.person(session, "manager", north, manages=[north, south])
    outsider_boss = f.person(session, "manager", elsewhere, manages=[elsewhere])
    ann = f.person(session, "rep", north)
    bob = f.person(session, "rep", south)
    carl = f.person(session, "rep", elsewhere)
    gone = f.person(session, "rep", north, active=False)
    director = f.person(session, "director")
    shop = f.customer(session, ann, north)
    deal = f.deal(
        session, ann, shop, amount=Decimal("1000.01"), status="won", closed_on=date(2026, 8, 10)
    )
    return {
        "north": north,
        "south": south,
        "boss": boss,
        "outsider_boss": outsider_boss,
        "ann": ann,
        "bob": bob,
        "carl": carl,
        "gone": gone,
        "director": director,
        "shop": shop,
        "deal": deal,
    }


def _section(session, who, deal):
    return credit_section(session, f.actor(session, who), deal.id)


def test_a_deal_not_split_shows_the_owner_at_100_with_the_region_name(session, team):
    section = _section(session, team["boss"], team["deal"])
    assert [(line.name, line.region, line.percent, line.amount) for line in section.lines] == [
        (team["ann"].name, "Credit view North", Decimal(100), Decimal("1000.01"))
    ]
    assert not section.shared and section.owner == team["ann"].name
    assert section.company_amount == Decimal("1000.01")
    assert section.company_currency == pricing.company_currency(session)


def test_the_owners_manager_and_a_director_may_set_the_owner_only_propose(session, team):
    boss = _section(session, team["boss"], team["deal"])
    director = _section(session, team["director"], team["deal"])
    owner = _section(session, team["ann"], team["deal"])
    assert (boss.can_set, boss.can_propose) == (True, False)
    assert (director.can_set, director.can_propose) == (True, False)
    assert (owner.can_set, owner.can_propose) == (False, True)


def test_a_split_shows_each_share_with_its_persons_region_and_the_shares_add_up(session, team):
    deal = team["deal"]
    credit.set_split(
        session,
        f.actor(session, team["boss"]),
        deal.id,
        deal.version,
        {team["ann"].id: "66.67", team["bob"].id: "33.33"},
    )
    section = _section(session, team["boss"], deal)
    # 1000.01 x 66.67 % = 666.706667, x 33.33 % = 333.303333: the cent left goes to Ann
    assert [(line.name, line.region, line.percent, line.amount) for line in section.lines] == [
        (team["ann"].name, "Credit view North", Decimal("66.67"), Decimal("666.71")),
        (team["bob"].name, "Credit view South", Decimal("33.33"), Decimal("333.30")),
    ]
    assert section.shared and section.version == deal.version


def test_a_credited_rep_reads_the_lines_but_may_neither_set_nor_see_a_proposal(session, team):
    deal = team["deal"]
    credit.set_split(
        session,
        f.actor(session, team["boss"]),
        deal.id,
        deal.version,
        {team["ann"].id: "50", team["bob"].id: "50"},
    )
    credit.propose_split(
        session, f.actor(session, team["ann"]), deal.id, {team["ann"].id: "100"}, "All mine"
    )
    bob = _section(session, team["bob"], deal)
    assert (bob.can_set, bob.can_propose, bob.proposal) == (False, False, None)
    assert {line.person_id for line in bob.lines} == {team["ann"].id, team["bob"].id}
    with pytest.raises(PermissionDenied):
        split_candidates(session, f.actor(session, team["bob"]), deal.id)


def test_the_owners_proposal_reaches_the_manager_with_names_and_note(session, team):
    deal = team["deal"]
    credit.propose_split(
        session,
        f.actor(session, team["ann"]),
        deal.id,
        {team["bob"].id: "40", team["ann"].id: "60"},
        "Bob ran the demo",
    )
    for viewer in (team["boss"], team["ann"]):
        proposal = _section(session, viewer, deal).proposal
        assert proposal is not None
        assert proposal.proposed_by == team["ann"].name and proposal.note == "Bob ran the demo"
        assert [(line.name, line.region, line.percent) for line in proposal.lines] == [
            (team["ann"].name, "Credit view North", Decimal("60.00")),
            (team["bob"].name, "Credit view South", Decimal("40.00")),
        ]
    # the proposal counts for nothing until applied: the lines stay 100 % to the owner
    assert [line.percent for line in _section(session, team["boss"], deal).lines] == [100]


def test_people_outside_the_deal_cannot_read_its_credit(session, team):
    for who in (team["carl"], team["outsider_boss"]):
        with pytest.raises(PermissionDenied):
            _section(session, who, team["deal"])
        with pytest.raises(PermissionDenied):
            split_candidates(session, f.actor(session, who), team["deal"].id)


def test_a_deactivated_manager_may_no_longer_set_the_split(session, team):
    team["boss"].active = False
    session.flush()
    section = _section(session, team["boss"], team["deal"])
    assert not section.can_set and not section.can_propose


def test_the_editor_offers_active_people_with_a_region_and_always_the_owner(session, team):
    offered = split_candidates(session, f.actor(session, team["boss"]), team["deal"].id)
    ids = [pid for pid, _ in offered]
    labels = dict(offered)
    assert labels[team["ann"].id] == f"{team['ann'].name} (Credit view North)"
    assert labels[team["carl"].id] == f"{team['carl'].name} (Credit view Elsewhere)"
    assert team["gone"].id not in ids  # deactivated
    assert team["director"].id not in ids  # no region: the credit has nowhere to go
    # an owner who has left stays on offer: their part is still theirs
    team["ann"].active = False
    session.flush()
    offered = split_candidates(session, f.actor(session, team["boss"]), team["deal"].id)
    assert team["ann"].id in {pid for pid, _ in offered}


def test_every_person_the_editor_offers_is_accepted_by_set_split(session, team):
    """What the editor offers is what core accepts: a split with each offered person saves."""
    deal = team["deal"]
    boss = f.actor(session, team["boss"])
    offered = [pid for pid, _ in split_candidates(session, boss, deal.id)]
    others = [pid for pid in offered if pid != team["ann"].id][:20]
    for pid in others:
        credit.set_split(session, boss, deal.id, deal.version, {team["ann"].id: "50", pid: "50"})
        assert {line.person_id for line in credit_section(session, boss, deal.id).lines} == {
            team["ann"].id,
            pid,
        }


def test_a_deal_in_a_currency_without_a_rate_shows_its_shares_as_not_priced(session, team):
    assert not pricing.load_rates(session, ["ISK"])  # no rate for the Icelandic krona
    deal = f.deal(
        session,
        team["ann"],
        team["shop"],
        amount=Decimal("41000.00"),
        status="won",
        closed_on=date(2026, 8, 10),
        currency="ISK",
    )
    session.refresh(deal)
    credit.set_split(
        session,
        f.actor(session, team["boss"]),
        deal.id,
        deal.version,
        {team["ann"].id: "70", team["bob"].id: "30"},
    )
    section = _section(session, team["boss"], deal)
    assert section.company_amount is None
    assert (section.amount, section.currency) == (Decimal("41000.00"), "ISK")
    assert [(line.percent, line.amount) for line in section.lines] == [
        (Decimal("70.00"), None),
        (Decimal("30.00"), None),
    ]
