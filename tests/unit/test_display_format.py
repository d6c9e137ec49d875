"""What figures and table cells look like on screen: never "None" or "nan"."""

from datetime import date, datetime
from decimal import Decimal

import pandas as pd

from core.i18n import use_language
from ui.customer_views import timeline_table
from ui.format import (
    MISSING,
    amount_in,
    as_text,
    day,
    day_in_words,
    deal_money,
    figures_as_text,
    money,
    money_in,
    month_name,
    month_year,
    not_priced,
    percent,
    times,
)


def test_missing_figures_read_as_a_dash_whatever_kind_of_missing():
    for missing in (None, float("nan"), pd.NA, pd.NaT):
        assert money(missing) == percent(missing) == times(missing) == day(missing) == MISSING


def test_figures_keep_their_usual_form():
    assert money(Decimal("1234567.49")) == "1,234,567"
    assert percent(Decimal("0.8134")) == "81.3%"
    assert times(Decimal("2.8333")) == "2.83×"
    assert day(date(2026, 3, 28)) == day(datetime(2026, 3, 28, 14, 5)) == "2026-03-28"


def test_a_column_with_gaps_becomes_text_with_dashes():
    column = pd.Series([date(2026, 3, 28), None, pd.NaT])
    assert as_text(column, day) == ["2026-03-28", "–", "–"]


def test_figures_as_text_writes_every_undefined_figure_as_a_dash():
    frame = pd.DataFrame(
        {
            "label": ["Company", "Europe"],
            "won": [Decimal("628329.03"), Decimal(5)],
            "pace": [Decimal("1.2346"), None],
            "coverage": [None, Decimal("2.5")],
        }
    )
    shown = figures_as_text(frame, amounts=["won"], ratios=["pace"], multiples=["coverage"])
    assert shown.to_dict("list") == {
        "label": ["Company", "Europe"],
        "won": ["628,329", "5"],
        "pace": ["123.5%", "–"],
        "coverage": ["–", "2.50×"],
    }
    assert frame["pace"].iloc[1] is None  # the figures themselves (the download) are unchanged


def test_the_timeline_shows_no_none_for_an_activity_without_amount_or_an_unknown_person():
    frame = pd.DataFrame(
        {
            "when": [datetime(2026, 3, 1, 14, 5), datetime(2026, 2, 1)],
            "kind": ["Activity", "Stage change"],
            "what": ["Visit", "Deal: Lead → Qualified"],
            "amount": [None, Decimal(5)],
            "currency": [None, "USD"],
            "company_amount": [None, None],
            "not_priced": [False, False],
            "first_rate": [None, None],
            "who": ["Nina Larsen", None],
            "amount_hidden": [False, False],
        }
    )
    table = timeline_table(frame, "USD")
    assert list(table["amount"]) == ["", "5.00"]
    assert list(table["currency"]) == ["", "USD"]
    assert list(table["company_amount"]) == ["", ""]  # a stage change keeps no conversion
    assert list(table["who"]) == ["Nina Larsen", "–"]


def test_a_float_rounds_as_the_decimal_it_prints_as():
    """The drill-down (floats after pandas) and the metrics (Decimals) show the same figure."""
    assert percent(0.8135) == percent(Decimal("0.8135")) == "81.4%"
    assert money(2.5) == money(Decimal("2.5")) == "2"
    assert times(1.005) == times(Decimal("1.005")) == "1.00×"


# --- in Chinese -------------------------------------------------------------------------------


def test_chinese_figures_read_as_babel_writes_them_for_zh_cn():
    with use_language("zh_CN"):
        assert money(Decimal("1234567.49")) == "1,234,567"
        assert money(2.5) == money(Decimal("2.5")) == "2"  # half to even, as in English
        assert money_in(Decimal("41000"), "EUR") == "41,000.00 EUR"
        assert money_in(Decimal("5000000"), "JPY") == "5,000,000 JPY"
        assert amount_in(Decimal("44280"), "USD") == "44,280.00"
        assert percent(Decimal("0.8135")) == percent(0.8135) == "81.4%"
        assert percent(Decimal("12.3456")) == "1,234.6%"
        assert times(Decimal("2.8333")) == "2.83×"
        assert money(None) == percent(None) == times(None) == day(None) == MISSING


def test_chinese_dates_read_year_month_day():
    with use_language("zh_CN"):
        assert day(date(2026, 12, 1)) == "2026年12月1日"
        assert (
            day(datetime(2026, 3, 28, 14, 5)) == day(pd.Timestamp("2026-03-28")) == "2026年3月28日"
        )
        assert day_in_words(date(2026, 12, 1)) == "2026年12月1日"
        assert month_year(date(2026, 12, 1)) == "2026年12月"
        assert [month_name(m) for m in (1, 10, 12)] == ["一月", "十月", "十二月"]
        assert as_text(pd.Series([date(2026, 3, 28), None]), day) == ["2026年3月28日", "–"]


def test_english_keeps_its_forms_whatever_was_chosen_before():
    with use_language("zh_CN"):
        pass
    with use_language("en"):
        assert money(Decimal("1234567.49")) == "1,234,567"
        assert percent(Decimal("0.8135")) == "81.4%"
        assert day(date(2026, 12, 1)) == "2026-12-01"
        assert day_in_words(date(2026, 12, 1)) == "01 December 2026"
        assert month_year(date(2026, 12, 1)) == "December 2026"
        assert month_name(1) == "January"
        assert not_priced("EUR", date(2026, 1, 4)) == "not priced: no EUR rate before 2026-01-04"


def test_a_deal_not_priced_says_why_in_chinese():
    with use_language("zh_CN"):
        assert not_priced("EUR", None) == "未定价：没有 EUR 汇率"
        assert not_priced("EUR", date(2026, 1, 4)) == "未定价：2026年1月4日 之前没有 EUR 汇率"
        assert (
            deal_money(Decimal("41000"), "EUR", Decimal("44280"), "USD", None)
            == "41,000.00 EUR（44,280.00 USD）"
        )


def test_chinese_figures_as_text_in_a_table():
    frame = pd.DataFrame({"won": [Decimal("628329.03")], "pace": [Decimal("1.2346")]})
    with use_language("zh_CN"):
        shown = figures_as_text(frame, amounts=["won"], ratios=["pace"])
    assert shown.to_dict("list") == {"won": ["628,329"], "pace": ["123.5%"]}
