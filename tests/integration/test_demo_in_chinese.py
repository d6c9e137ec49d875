"""`seed --locale zh_CN`: a Chinese demo company with the same figures as the English one.

Both seeds draw the same random numbers, so every count and amount is equal; the names of the
company, regions, people, customers, products and lost reasons are Chinese, while usernames
(what people type to sign in) stay the same.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date

import pytest
from sqlalchemy import text

from core.demo import seed as demo
from db.engine import make_engine, migrate
from tests.support import fresh_postgres, skip_or_fail

TODAY = date(2026, 11, 20)
CJK = re.compile(r"[\u4e00-\u9fff]")
SAME = {
    "deals by status": "SELECT status, COUNT(*), SUM(amount) FROM deal GROUP BY status "
    "ORDER BY status",
    "targets": "SELECT COUNT(*), SUM(amount) FROM target",
    "activities": "SELECT type, COUNT(*) FROM activity GROUP BY type ORDER BY type",
    "usernames": "SELECT username, role FROM person ORDER BY id",
    "follow-ups": "SELECT COUNT(*), MIN(due_on), MAX(due_on) FROM follow_up",
}
CHINESE_NAMES = {
    "region": "SELECT name FROM region",
    "person": "SELECT name FROM person",
    "customer": "SELECT name FROM customer",
    "product": "SELECT name || product_line FROM product",
    "lost reason": "SELECT name FROM lost_reason",
    "deal": "SELECT name FROM deal",
    "seasonality profile": "SELECT DISTINCT name FROM seasonality_percent",
}


def _seeded(backend: str, locale: str, tmp_path):
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / f'{locale}.db'}")
    else:
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            skip_or_fail("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
        engine = fresh_postgres(url, suffix=f"_demo_{locale.lower()}")
    migrate(engine)
    demo.seed(engine, scale="small", seed=11, today=TODAY, locale=locale)
    return engine


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def both(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("locales")
    english = _seeded(request.param, "en", path)
    chinese = _seeded(request.param, "zh_CN", path)
    yield english, chinese
    english.dispose()
    chinese.dispose()


def _decoded(value):
    """A JSON setting: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) and value.startswith('"') else value


def _rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


@pytest.mark.parametrize("what", sorted(SAME))
def test_the_chinese_company_has_the_same_figures(both, what):
    english, chinese = both
    assert _rows(chinese, SAME[what]) == _rows(english, SAME[what])


@pytest.mark.parametrize("what", sorted(CHINESE_NAMES))
def test_every_name_is_chinese(both, what):
    _english, chinese = both
    names = [row[0] for row in _rows(chinese, CHINESE_NAMES[what])]
    assert names
    assert [n for n in names if not CJK.search(n)] == []
    assert [n for n in names if re.search(r"[A-Za-z]{2,}", n)] == []


def test_the_company_is_named_in_chinese_and_english_stays_english(both):
    english, chinese = both
    setting = "SELECT value FROM app_setting WHERE key = 'company_name'"
    assert _decoded(_rows(chinese, setting)[0][0]) == "北风仪器有限公司"
    assert _decoded(_rows(english, setting)[0][0]) == "Northwind Instruments"
    assert not any(CJK.search(row[0]) for row in _rows(english, "SELECT name FROM customer"))


def test_an_unknown_locale_is_refused(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    migrate(engine)
    with pytest.raises(ValueError, match="Unknown demo locale 'fr'"):
        demo.seed(engine, scale="small", locale="fr")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM person")).scalar() == 0
