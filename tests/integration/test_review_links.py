"""A review opened by its link shows what was recorded, to the rep, the rep's managers and the
directors; other reps and managers of other regions are refused (SQLite and PostgreSQL)."""

from datetime import date

import pytest

from core.errors import NotFound, PermissionDenied
from core.pipeline import reviews
from core.pipeline.reviews import CommitmentCreate, ReviewCreate
from tests import factories


def test_a_linked_review_shows_its_notes_deals_and_commitments_to_those_who_may_see_it(session):
    region = factories.region(session)
    other_region = factories.region(session)
    manager = factories.person(session, "manager", region, manages=[region])
    rep = factories.person(session, "rep", region)
    customer = factories.customer(session, rep, region)
    deal = factories.deal(session, rep, customer)
    manager_actor = factories.actor(session, manager)
    review_id = reviews.record_review(
        session,
        manager_actor,
        ReviewCreate(
            rep_id=rep.id,
            held_on=date(2026, 11, 30),
            deal_ids=[deal.id],
            notes="Push the pilot.",
            commitments=[CommitmentCreate(description="Send the quote", due_on=date(2026, 12, 4))],
        ),
        today=date(2026, 12, 1),
    )
    for viewer in (manager, rep, factories.person(session, "director")):
        detail = reviews.review_detail(session, factories.actor(session, viewer), review_id)
        assert (detail.rep_id, detail.rep, detail.manager) == (rep.id, rep.name, manager.name)
        assert detail.held_on == date(2026, 11, 30) and detail.notes == "Push the pilot."
        assert detail.deals == [deal.name]
        assert detail.commitments == [("Send the quote", date(2026, 12, 4), None)]
    for stranger in (
        factories.person(session, "rep", region),
        factories.person(session, "manager", other_region, manages=[other_region]),
    ):
        with pytest.raises(PermissionDenied):
            reviews.review_detail(session, factories.actor(session, stranger), review_id)


def test_a_link_to_a_review_that_does_not_exist_says_so(session):
    director = factories.actor(session, factories.person(session, "director"))
    with pytest.raises(NotFound, match="No pipeline review with id 987654"):
        reviews.review_detail(session, director, 987654)
