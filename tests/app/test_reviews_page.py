"""The Pipeline reviews page under AppTest: an empty review is refused with a message and not
saved, a review with a dated commitment is saved with its due date."""

from datetime import date, timedelta

from sqlalchemy import func, select

from db.engine import make_engine, session_factory
from db.schema import Person, PipelineReview, ReviewCommitment
from tests.app.conftest import signed_in


def _db(url):
    return session_factory(make_engine(url))()


def _rep(url) -> Person:
    with _db(url) as session:
        return session.scalar(select(Person).where(Person.username == "rep"))


def _reviews_of(url, rep_id: int) -> int:
    with _db(url) as session:
        return session.scalar(select(func.count()).where(PipelineReview.rep_id == rep_id))


def _save(at):
    return next(b for b in at.button if b.label == "Save review").click().run()


def test_an_empty_review_is_refused_with_a_message_and_nothing_is_saved(app_database):
    rep = _rep(app_database)
    at = signed_in("manager").switch_page("pages/reviews.py").run()
    at.selectbox(key="review_rep").select((rep.id, rep.name)).run()
    before = _reviews_of(app_database, rep.id)

    _save(at)

    assert not at.exception
    assert [e.value for e in at.error] == [
        "This review is empty: choose the deals discussed, write notes or add a commitment "
        "before saving it."
    ]
    assert not at.success
    assert _reviews_of(app_database, rep.id) == before


def test_a_review_with_a_dated_commitment_is_saved_with_its_due_date(app_database):
    rep = _rep(app_database)
    due = date.today() + timedelta(days=7)
    at = signed_in("manager").switch_page("pages/reviews.py").run()
    at.selectbox(key="review_rep").select((rep.id, rep.name)).run()
    at.text_area(key="review_notes").input("Two deals need a decision date")
    at.text_input(key="review_commitment_0").input("Agree the decision date")
    at.date_input(key="review_commitment_due_0").set_value(due)
    at.text_input(key="review_commitment_2").input("Book the demo")

    _save(at)

    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["Review saved."]
    with _db(app_database) as session:
        latest = session.scalar(
            select(PipelineReview.id)
            .where(PipelineReview.rep_id == rep.id)
            .order_by(PipelineReview.id.desc())
        )
        saved = session.execute(
            select(ReviewCommitment.description, ReviewCommitment.due_on).where(
                ReviewCommitment.review_id == latest
            )
        ).all()
    assert saved == [("Agree the decision date", due), ("Book the demo", None)]


def test_a_due_date_without_text_is_refused_and_nothing_is_saved(app_database):
    rep = _rep(app_database)
    at = signed_in("manager").switch_page("pages/reviews.py").run()
    at.selectbox(key="review_rep").select((rep.id, rep.name)).run()
    before = _reviews_of(app_database, rep.id)
    at.text_area(key="review_notes").input("Short one")
    at.date_input(key="review_commitment_due_1").set_value(date.today() + timedelta(days=3))

    _save(at)

    assert [e.value for e in at.error] == [
        "Commitment 2 has a due date but no text: write what was agreed or clear the date."
    ]
    assert _reviews_of(app_database, rep.id) == before
