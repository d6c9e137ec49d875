"""Alerts under AppTest: with "also show acknowledged and snoozed" on, the metrics and the chart
count the same alerts (the ones in the table), and the caption says how many are open."""

import io
import json
from collections import Counter
from datetime import date

import pyarrow as pa
from sqlalchemy import select

from core.org.access import load_actor
from core.performance import alerts
from db.engine import make_engine, session_factory
from db.schema import Person
from tests.app.conftest import signed_in


def _as(url, username, work):
    with session_factory(make_engine(url))() as session:
        actor = load_actor(
            session, session.scalar(select(Person.id).where(Person.username == username))
        )
        result = work(session, actor)
        session.commit()
        return result


def _chart_rows(at) -> list[dict]:
    (chart,) = at.get("vega_lite_chart")
    rows = []
    for dataset in chart.proto.datasets:
        rows += pa.ipc.open_stream(io.BytesIO(dataset.data.data)).read_all().to_pylist()
    spec = json.loads(chart.proto.spec)
    for values in spec.get("datasets", {}).values():
        rows += values
    return rows


def test_with_acknowledged_alerts_shown_the_metrics_and_the_chart_count_the_same_set(
    app_database,
):
    today = date.today()
    current = _as(app_database, "admin", lambda s, a: alerts.current_alerts(s, a, today=today))
    assert len(current) >= 3, "the demo data has alerts for the admin"
    handled = [current[0].key, current[1].key]
    _as(app_database, "admin", lambda s, a: alerts.acknowledge(s, a, handled))
    try:
        shown = _as(
            app_database,
            "admin",
            lambda s, a: alerts.current_alerts(s, a, today=today, include_hidden=True),
        )
        at = signed_in("admin").switch_page("pages/alerts.py").run()
        at.toggle(key="alerts_show_all").set_value(True).run()
        assert not at.exception, at.exception

        metrics = {m.label: m.value for m in at.metric}
        rows = _chart_rows(at)
        charted = sum(r["count"] for r in rows)
        charted_high = sum(r["count"] for r in rows if r["severity"] == "high")
        assert charted == len(shown)
        assert metrics["Alerts shown"] == f"{len(shown):,}"
        assert metrics["High severity"] == f"{charted_high:,}"
        assert charted_high == sum(a.severity == "high" for a in shown)
        still_open = sum(a.state == "open" for a in shown)
        assert still_open == len(shown) - 2
        assert any(
            f"{still_open:,} of the {len(shown):,} alerts shown are open" in c.value
            for c in at.caption
        )
    finally:
        _as(app_database, "admin", lambda s, a: alerts.reopen(s, a, handled))


def test_a_long_list_shows_each_rules_first_alerts_and_counts_them_all(app_database, monkeypatch):
    """Past the page's limit per rule, the table lists each rule's first alerts while the
    "Open alerts" metric counts every open alert (the unlimited list's length)."""
    from ui import alert_counts

    today = date.today()
    every = _as(
        app_database,
        "director",
        lambda s, a: alerts.current_alerts(s, a, today=today, limit_per_rule=None),
    )
    per_rule = Counter(a.rule for a in every)
    monkeypatch.setattr(alert_counts, "LISTED_PER_RULE", 3)
    assert max(per_rule.values()) > 3, "the demo has a rule with more alerts than the limit"

    at = signed_in("director").switch_page("pages/alerts.py").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Open alerts"] == f"{len(every):,}"
    (table,) = [d.value for d in at.dataframe if "What" in d.value.columns]
    listed = len(table)
    assert listed < len(every)
    assert any(
        f"{listed:,} of the {len(every):,} open alerts are listed: each rule's first 3 deals"
        in c.value
        for c in at.caption
    )
