"""An administrator sets a person's deal-team functions on the Organisation page."""

from __future__ import annotations

from sqlalchemy import select

from db.engine import make_engine, session_factory
from db.schema import AuditLog, Person
from tests.app.conftest import signed_in


def _db(url):
    return session_factory(make_engine(url))()


def test_an_admin_sets_functions_on_the_organisation_page_and_they_are_stored(app_database):
    with _db(app_database) as session:
        rep = session.scalar(select(Person).where(Person.username == "rep"))
        rep_id, before = rep.id, list(rep.functions or [])
    at = signed_in("admin")
    at.switch_page("pages/organisation.py").run()
    assert not at.exception, at.exception
    at.selectbox(key="fn_p").select(rep_id).run()
    chooser = at.multiselect(key=f"fn_f_{rep_id}")
    assert "pre-sales engineer" in chooser.options and "legal" in chooser.options
    chooser.set_value(["legal", "finance"])
    at.button(key="FormSubmitter:person_functions-Save functions").click().run()
    assert not at.exception and not at.error, at.error
    assert at.success and "legal, finance" in at.success[0].value
    with _db(app_database) as session:
        assert session.get(Person, rep_id).functions == ["legal", "finance"]
        entry = session.scalars(
            select(AuditLog)
            .where(AuditLog.action == "person.functions", AuditLog.entity_id == rep_id)
            .order_by(AuditLog.id.desc())
        ).first()
        assert entry.after == {"functions": ["legal", "finance"]}
        session.get(Person, rep_id).functions = before  # leave the shared database as it was
        session.commit()
