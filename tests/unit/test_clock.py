"""The business day: SALES_TODAY fixes it for every module, else it is the calendar day."""

from datetime import date

import pytest

from core import clock
from db.config import PROJECT_DIR


def test_the_business_day_is_the_calendar_day_by_default(monkeypatch):
    monkeypatch.delenv(clock.SETTING, raising=False)
    assert clock.today() == date.today()


def test_sales_today_fixes_the_business_day(monkeypatch):
    monkeypatch.setenv(clock.SETTING, "2026-11-30")
    assert clock.today() == date(2026, 11, 30)
    monkeypatch.setenv(clock.SETTING, " ")
    assert clock.today() == date.today()


def test_a_malformed_day_is_refused_with_the_setting_named(monkeypatch):
    monkeypatch.setenv(clock.SETTING, "30/11/2026")
    with pytest.raises(ValueError, match="SALES_TODAY must be a date as YYYY-MM-DD"):
        clock.today()


def test_every_module_asks_the_clock_not_the_calendar():
    """A module that read the calendar itself would ignore the setting."""
    readers = [
        str(path.relative_to(PROJECT_DIR))
        for folder in ("core", "ui", "pages", "cli")
        for path in (PROJECT_DIR / folder).rglob("*.py")
        if path.name != "clock.py" and "date.today" in path.read_text(encoding="utf-8")
    ]
    readers += ["app.py"] if "date.today" in (PROJECT_DIR / "app.py").read_text("utf-8") else []
    assert readers == []
