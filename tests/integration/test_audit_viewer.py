"""The audit log viewer: filters by who, what, record and dates, pages through every entry
(beyond the newest 1,000), names people and records. Against SQLite and PostgreSQL."""

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import insert

from core.errors import PermissionDenied
from core.org import audit
from core.org.audit import COMMAND_LINE, AuditFilter
from db.schema import AuditLog
from tests import factories
from tests.pipeline_factories import team

DAY = date(2031, 3, 10)
"""A day after anything else in the test database, so the entries below are the only ones."""


def _entry(actor, action, entity, entity_id, at, label=None):
    return {
        "at": at,
        "actor_id": actor.id if actor else None,
        "actor_label": label or (actor.name if actor else "manage.py"),
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": None,
        "after": {"n": entity_id},
    }


@pytest.fixture
def log(session):
    """1,205 entries by one manager over five days (one deal moved per entry), five by the
    director on a customer, three by the command line on a person."""
    t = team(session)
    director = factories.person(session, "director")
    deal = factories.deal(session, t.rep, t.customer)
    session.flush()
    start = datetime(DAY.year, DAY.month, DAY.day, 8)
    rows = [
        _entry(
            t.manager,
            "deal.move.forward" if n % 2 else "deal.update",
            "deal",
            deal.id,
            start + timedelta(days=n % 5, seconds=n),
        )
        for n in range(1205)
    ]
    rows += [
        _entry(director, "customer.edit", "customer", t.customer.id, start + timedelta(hours=n))
        for n in range(5)
    ]
    rows += [
        _entry(None, "person.add", "person", t.rep.id, start + timedelta(minutes=n))
        for n in range(3)
    ]
    session.execute(insert(AuditLog), rows)
    session.flush()
    return t, director, deal


def test_the_viewer_pages_through_every_entry_beyond_the_first_thousand(session, log):
    t, director, _ = log
    reader = factories.actor(session, director)
    mine = AuditFilter(who=t.manager.id, start=DAY)
    seen, offset = [], 0
    while True:
        page = audit.audit_page(session, reader, mine, offset=offset, limit=500)
        assert page.total == 1205
        if page.rows.empty:
            break
        seen.extend(page.rows["when"].tolist())
        offset += 500
    assert len(seen) == 1205
    assert len(set(seen)) == 1205, "pages overlap"
    assert seen == sorted(seen, reverse=True), "newest first across pages"


def test_the_viewer_filters_by_who_what_record_and_dates(session, log):
    t, director, deal = log
    reader = factories.actor(session, director)

    def total(**given) -> int:
        return audit.audit_page(session, reader, AuditFilter(start=DAY, **given)).total

    assert total(who=director.id) == 5
    assert total(who=COMMAND_LINE) == 3
    assert total(action="deal.move") == 602  # the odd n below 1205, by the action's start
    assert total(action="deal.move.forward") == 602
    assert total(action="deal") == 1205
    assert total(action="dea") == 0, "a start matches whole words only"
    assert total(entity="customer") == 5
    assert total(entity="deal", record_id=deal.id) == 1205
    # the manager's entries fall on five days, n % 5 == day offset: 241 a day
    one_day = DAY + timedelta(days=2)
    assert (
        audit.audit_page(
            session, reader, AuditFilter(who=t.manager.id, start=one_day, end=one_day)
        ).total
        == 241
    )
    assert (
        audit.audit_page(
            session, reader, AuditFilter(who=t.manager.id, start=DAY, end=DAY + timedelta(days=1))
        ).total
        == 482
    )


def test_people_and_records_are_shown_by_name(session, log):
    t, director, deal = log
    reader = factories.actor(session, director)
    by_entity = pd.concat(
        audit.audit_page(session, reader, AuditFilter(start=DAY, entity=e), limit=1).rows
        for e in ("deal", "customer", "person")
    ).set_index("entity")
    assert by_entity.loc["deal", "who"] == t.manager.name
    assert by_entity.loc["deal", "record"] == f"{deal.name} (#{deal.id})"
    assert by_entity.loc["customer", "who"] == director.name
    assert by_entity.loc["customer", "record"] == f"{t.customer.name} (#{t.customer.id})"
    assert by_entity.loc["person", "who"] == "manage.py"
    assert by_entity.loc["person", "record"] == f"{t.rep.name} (#{t.rep.id})"
    assert by_entity.loc["deal", "after"] == f'{{"n": {deal.id}}}'
    choices = audit.audit_choices(session, reader)
    assert (t.manager.id, t.manager.name) in choices.people
    assert {"deal.update", "customer.edit", "person.add"} <= set(choices.actions)


def test_the_download_holds_every_filtered_entry(session, log):
    t, director, _ = log
    reader = factories.actor(session, director)
    frame = audit.audit_download(session, reader, AuditFilter(who=t.manager.id, start=DAY))
    assert len(frame) == 1205
    assert set(frame["who"]) == {t.manager.name}


def test_managers_and_reps_may_not_read_the_audit_log(session, log):
    t, _, _ = log
    for who in (t.manager, t.rep):
        reader = factories.actor(session, who)
        with pytest.raises(PermissionDenied):
            audit.audit_page(session, reader, AuditFilter())
        with pytest.raises(PermissionDenied):
            audit.audit_download(session, reader, AuditFilter())
        with pytest.raises(PermissionDenied):
            audit.audit_choices(session, reader)


def test_an_end_before_the_start_is_refused():
    with pytest.raises(ValueError, match="the end date is before the start date"):
        AuditFilter(start=DAY, end=DAY - timedelta(days=1))
