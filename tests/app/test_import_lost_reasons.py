"""The import page's lost-reason step under AppTest: a deals file whose lost reason is not on
the administrator's list is refused with the list, and imports once the page maps it."""

from __future__ import annotations

from sqlalchemy import select

from db.config import get_settings
from db.engine import make_engine
from db.schema import Customer, Deal, LostReason, Person
from tests.app.conftest import signed_in

UNLISTED = "Chose competitor: cheaper (Q3)"


def _facts():
    """A customer, its owner's email and the active reasons, read from the database."""
    engine = make_engine(get_settings().database_url)
    try:
        with engine.connect() as conn:
            customer, email = conn.execute(
                select(Customer.name, Person.email)
                .join(Person, Person.id == Customer.owner_id)
                .where(Person.email.is_not(None))
                .order_by(Customer.id)
                .limit(1)
            ).one()
            listed = list(
                conn.scalars(
                    select(LostReason.name)
                    .where(LostReason.active.is_(True))
                    .order_by(LostReason.position, LostReason.id)
                )
            )
    finally:
        engine.dispose()
    return customer, email, listed


def _deal(external_id: str):
    engine = make_engine(get_settings().database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                select(Deal.lost_reason, LostReason.name)
                .outerjoin(LostReason, LostReason.id == Deal.lost_reason_id)
                .where(Deal.external_id == external_id)
            ).one_or_none()
    finally:
        engine.dispose()


def _upload(external_id: str):
    customer, email, listed = _facts()
    assert len(listed) >= 2 and UNLISTED not in listed
    content = (
        "external_id,customer,owner,stage,amount,closed_on,lost_reason\n"
        f'{external_id},"{customer}",{email},Lost,100,2026-01-15,"{UNLISTED}"\n'
        f'{external_id}-b,"{customer}",{email},Lost,100,2026-01-16,"  {listed[0].upper()} "\n'
    ).encode()
    at = signed_in("admin")
    at.switch_page("pages/import.py").run()
    at.selectbox(key="import_kind").set_value("deals").run()
    at.file_uploader(key="import_file").set_value(("lost.csv", content, "text/csv")).run()
    assert not at.exception, at.exception
    at.checkbox(key="import_stages_ok_lost.csv").check().run()  # the stage step, confirmed
    return at, listed


def _reason_boxes(at):
    return [s for s in at.selectbox if s.key and s.key.startswith("reason_")]


def test_an_unlisted_reason_is_shown_alone_and_refused_with_the_list_when_left_unmapped():
    at, listed = _upload("lost-step-refused")
    boxes = _reason_boxes(at)
    # the listed reason written in other case and spaces needs no mapping
    assert [b.label for b in boxes] == [f"'{UNLISTED}' means"]
    assert boxes[0].options == listed and boxes[0].value is None
    at.button(key="import_run").click().run()
    assert not at.exception, at.exception
    assert any("Nothing was imported" in e.value for e in at.error)
    problems = at.dataframe[-1].value
    refusal = problems.loc[problems["column"] == "lost_reason", "reason"].tolist()
    assert len(refusal) == 1
    assert "The lost reasons are: " + ", ".join(listed) + "." in refusal[0]
    assert _deal("lost-step-refused") is None


def test_a_reason_mapped_on_the_page_imports_onto_the_listed_reason():
    at, listed = _upload("lost-step-mapped")
    _reason_boxes(at)[0].set_value(listed[1]).run()
    at.button(key="import_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("Imported 2 deals rows" in s.value for s in at.success)
    # the deal keeps the listed reason; the first row's wording maps onto listed[1]
    assert _deal("lost-step-mapped") == (listed[1], listed[1])
    assert _deal("lost-step-mapped-b")[1] == listed[0]
