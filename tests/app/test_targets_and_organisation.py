"""Targets and Organisation pages under AppTest, per role, over the seeded SQLite database."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from core.periods import fiscal_year_of
from db.engine import make_engine, session_factory
from db.schema import AuditLog, Region, Target, TargetPlan
from tests.app.conftest import signed_in

THIS_YEAR = fiscal_year_of(date.today())


def _targets(username: str):
    at = signed_in(username)
    at.switch_page("pages/targets.py").run()
    assert not at.exception, at.exception
    return at


def _charts(at):
    return [
        json.loads(c.proto.spec)
        for c in at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    ]


def test_smoke(app_database):
    for username in ("director", "manager", "rep", "admin"):
        at = _targets(username)
        print(
            username,
            [t.value for t in at.title],
            [e.value for e in at.error],
            [i.value for i in at.info][:3],
        )
