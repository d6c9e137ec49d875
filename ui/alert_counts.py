"""The number of open alerts for the navigation title: cached, so navigation stays cheap."""

from __future__ import annotations

from datetime import date

from core import clock
from core.i18n import _, number
from core.models import Actor
from core.org.access import load_actor
from core.performance import alerts
from ui.data import cached, read

LISTED_PER_RULE = 200
"""The Alerts page lists each rule's first alerts (the largest deals first); the count, here
and on the page, covers them all."""


@cached("deals", "customers", "activities", "targets", "alerts", "settings", "org", ttl=300)
def open_alert_count(person_id: int, today: date) -> int:
    with read() as session:
        return alerts.open_alert_count(session, load_actor(session, person_id), today=today)


def alerts_title(actor: Actor) -> str:
    """'Alerts (12)' when there are open alerts, else 'Alerts'."""
    if actor.id is None:
        return _("Alerts")
    count = open_alert_count(actor.id, clock.today())
    return _("Alerts ({count})").format(count=number(count)) if count else _("Alerts")
