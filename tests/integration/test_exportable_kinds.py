"""The export box offers exactly the kinds the actor may export (the rule lives in core)."""

import pytest

from core.errors import PermissionDenied
from core.transfer import Kind, export_frame
from core.transfer.exporting import exportable_kinds
from tests import factories
from tests.pipeline_factories import team

SCOPED = [Kind.PEOPLE, Kind.CUSTOMERS, Kind.DEALS, Kind.CREDIT_SPLITS, Kind.ACTIVITIES]


def test_each_role_is_offered_what_it_may_export_and_nothing_else(session):
    t = team(session)
    director = factories.person(session, "director")
    admin = factories.person(session, "admin")
    session.flush()
    offered = {
        who: exportable_kinds(factories.actor(session, person))
        for who, person in (
            ("director", director),
            ("admin", admin),
            ("manager", t.manager),
            ("rep", t.rep),
        )
    }
    assert offered["director"] == list(Kind)
    assert offered["admin"] == list(Kind)
    assert offered["manager"] == SCOPED
    assert offered["rep"] == []
    deactivated = factories.actor(session, director).model_copy(update={"active": False})
    assert exportable_kinds(deactivated) == []
    # what is offered exports; what is not offered is refused
    manager = factories.actor(session, t.manager)
    for kind in Kind:
        if kind in offered["manager"]:
            export_frame(session, manager, kind)
        else:
            with pytest.raises(PermissionDenied):
                export_frame(session, manager, kind)
