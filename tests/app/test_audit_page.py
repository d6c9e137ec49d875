"""The audit log page under AppTest: filters, paging past the first page, names not ids."""

from datetime import date, datetime, timedelta

from sqlalchemy import delete, insert, select

from db.engine import make_engine, session_factory
from db.schema import AuditLog, Person
from tests.app.conftest import signed_in

DAY = date(2032, 6, 1)
"""Later than any other entry, so the filter by date keeps only the entries written here."""
ENTRIES = 250


def _write_entries(url) -> Person:
    """ENTRIES changes by the manager to one person's record, one a minute from DAY 09:00."""
    with session_factory(make_engine(url), write=True).begin() as session:
        manager = session.scalar(select(Person).where(Person.username == "manager"))
        rep = session.scalar(select(Person).where(Person.username == "rep"))
        session.execute(delete(AuditLog).where(AuditLog.at >= datetime(DAY.year, 1, 1)))
        start = datetime(DAY.year, DAY.month, DAY.day, 9)
        session.execute(
            insert(AuditLog),
            [
                {
                    "at": start + timedelta(minutes=n),
                    "actor_id": manager.id,
                    "actor_label": f"{manager.name} (manager)",
                    "action": "person.update",
                    "entity": "person",
                    "entity_id": rep.id,
                    "before": None,
                    "after": {"n": n},
                }
                for n in range(ENTRIES)
            ],
        )
        session.expunge_all()
        return manager, rep


def test_a_director_filters_the_log_and_pages_past_the_first_hundred(app_database):
    manager, rep = _write_entries(app_database)
    at = signed_in("director").switch_page("pages/audit.py").run()
    assert not at.exception and not at.error
    at.date_input(key="audit_start").set_value(DAY).run()
    at.selectbox(key="audit_who").set_value(manager.id).run()
    assert not at.exception and not at.error
    assert f"Entries 1 to 100 of {ENTRIES}." in [c.value for c in at.caption]
    table = at.dataframe[0].value
    assert len(table) == 100
    assert set(table["who"]) == {manager.name}
    assert set(table["record"]) == {f"{rep.name} (#{rep.id})"}
    assert table["after"].iloc[0] == f'{{"n": {ENTRIES - 1}}}', "newest first"

    at.button(key="audit_older").click().run()
    at.button(key="audit_older").click().run()
    assert f"Entries 201 to {ENTRIES} of {ENTRIES}." in [c.value for c in at.caption]
    assert at.dataframe[0].value["after"].iloc[-1] == '{"n": 0}'
    assert at.button(key="audit_older").disabled

    at.text_input(key="audit_record").input("not a number").run()
    assert [e.value for e in at.error] == ["The record id is a whole number, e.g. 42."]


def test_filters_that_match_nothing_say_what_to_do(app_database):
    _write_entries(app_database)
    at = signed_in("director").switch_page("pages/audit.py").run()
    at.date_input(key="audit_start").set_value(DAY + timedelta(days=1)).run()
    assert not at.exception
    assert any("No changes match these filters" in i.value for i in at.info)
