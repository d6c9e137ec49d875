"""Dates, amounts and encodings as other systems write them: every supported format round-trips
through the formatter of each locale (Babel, the CLDR data spreadsheets and CRMs format with),
column-wide detection refuses what can be read two ways, and a file in each encoding reads
back the same."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from babel.dates import format_date, format_datetime, get_date_format
from babel.numbers import (
    format_currency,
    format_decimal,
    format_percent,
    get_decimal_symbol,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from core.transfer.dates import (
    TWO_DIGIT_YEAR,
    DateFormat,
    UnclearDates,
    detect_date_format,
    parse_date,
)
from core.transfer.encodings import detect_delimiter, detect_encoding
from core.transfer.numbers import (
    NEGATIVE,
    UnclearNumbers,
    detect_decimal_comma,
    parse_amount,
    parse_percent,
    probabilities,
)
from core.transfer.reading import read_table

LOCALES = [
    "en_US",
    "en_GB",
    "en_IN",
    "de_DE",
    "de_CH",
    "fr_FR",
    "fr_CH",
    "nl_NL",
    "it_IT",
    "es_ES",
    "pt_BR",
    "ru_RU",
    "pl_PL",
    "sv_SE",
    "fi_FI",
    "da_DK",
    "cs_CZ",
    "hu_HU",
    "zh_CN",
    "ja_JP",
    "ko_KR",
]
DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31))
COLUMNS = st.lists(DATES, min_size=1, max_size=30)


def _full_year(pattern: str) -> str:
    """A locale's short date pattern with the year written in full (we refuse two digits)."""
    return re.sub(r"(?<!y)yy(?!y)", "y", pattern)


def _order(pattern: str) -> DateFormat:
    first = min(pattern.find(c) for c in "yMd" if c in pattern)
    if pattern[first] == "y":
        return DateFormat.ISO if re.fullmatch(r"y+-M+-d+", pattern) else DateFormat.YMD
    return DateFormat.MDY if pattern[first] == "M" else DateFormat.DMY


def _patterns() -> list[tuple[str, str]]:
    out = []
    for locale in LOCALES:
        out.append((locale, _full_year(get_date_format("short", locale=locale).pattern)))
    # the long forms of Chinese, Japanese and Korean are numeric too
    out += [("zh_CN", "y年M月d日"), ("ja_JP", "y年M月d日"), ("ko_KR", "y년 M월 d일")]
    out += [("en_US", "M/d/y h:mm a"), ("en_US", "yyyy-MM-dd'T'HH:mm:ss.SSSZ")]
    return out


@pytest.mark.parametrize(("locale", "pattern"), _patterns())
def test_a_column_of_dates_in_any_locale_reads_back_as_written(locale, pattern):
    expected = _order(pattern)

    @settings(max_examples=60, deadline=None)
    @given(days=COLUMNS)
    def check(days):
        texts = [
            format_datetime(datetime(d.year, d.month, d.day, 16, 5), pattern, locale=locale)
            for d in days
        ]
        year_last = expected in (DateFormat.MDY, DateFormat.DMY)
        try:
            found = detect_date_format(texts, column="Close Date")
        except UnclearDates as refusal:
            # refused only when the column can be read two ways: every day is 12 or less
            assert year_last and all(d.day <= 12 for d in days), (texts, refusal)
            assert "--date-format" in str(refusal) and "'Date format' on the import page" in (
                str(refusal)
            )
            assert "'Close Date'" in str(refusal)
            found = detect_date_format(texts, chosen=expected)
        else:
            if year_last:
                assert found == expected
                assert any(d.day > 12 and d.day != d.month for d in days)
        assert [parse_date(t, found) for t in texts] == days

    check()


def test_an_ambiguous_column_is_refused_and_the_choice_decides_it():
    column = ["3/4/2024", "12/1/2024", "5/5/2024"]
    with pytest.raises(UnclearDates, match="--date-format MDY or DMY"):
        detect_date_format(column)
    mdy = detect_date_format(column, chosen=DateFormat.MDY)
    dmy = detect_date_format(column, chosen=DateFormat.DMY)
    assert [parse_date(v, mdy) for v in column] == [
        date(2024, 3, 4),
        date(2024, 12, 1),
        date(2024, 5, 5),
    ]
    assert [parse_date(v, dmy) for v in column] == [
        date(2024, 4, 3),
        date(2024, 1, 12),
        date(2024, 5, 5),
    ]


def test_one_day_over_twelve_decides_the_whole_column_and_both_orders_are_refused():
    assert detect_date_format(["3/4/2024", "8/15/2014"]) == DateFormat.MDY
    assert detect_date_format(["3/4/2024", "15/08/2014"]) == DateFormat.DMY
    assert detect_date_format(["15.08.2014", "1.2.2015"]) == DateFormat.DMY
    with pytest.raises(UnclearDates, match="both day first .* and month first"):
        detect_date_format(["8/15/2014", "15/08/2014"])
    # a date the chosen order cannot read is refused, not swapped
    with pytest.raises(ValueError, match="month/day/year"):
        parse_date("15/08/2014", DateFormat.MDY)
    with pytest.raises(ValueError, match="the column's date format"):
        parse_date("8/15/2014", DateFormat.ISO)


def test_iso_dates_with_time_and_zone_keep_the_day_written():
    assert detect_date_format(["2013-12-20T04:13:07.000+0000", "2014-01-02"]) == DateFormat.ISO
    assert parse_date("2013-12-20T04:13:07.000+0000", DateFormat.ISO) == date(2013, 12, 20)
    assert parse_date("2013-12-20T23:59:59Z", DateFormat.ISO) == date(2013, 12, 20)
    assert parse_date("2024-03-15 10:23", DateFormat.ISO) == date(2024, 3, 15)
    assert detect_date_format(["2014/8/15", "2014年8月15日"]) == DateFormat.YMD


@pytest.mark.parametrize("value", ["8/15/14", "15.08.14", "15-08-14", "1/2/99 10:00"])
def test_two_digit_years_are_refused(value):
    with pytest.raises(ValueError) as refusal:
        parse_date(value, DateFormat.MDY)
    assert str(refusal.value) == TWO_DIGIT_YEAR


def test_a_locale_short_date_with_two_digit_years_is_refused():
    # en_US's own short format writes 8/15/14
    text = format_date(date(2014, 8, 15), "short", locale="en_US")
    assert text == "8/15/14"
    with pytest.raises(ValueError, match="two-digit year"):
        parse_date(text, DateFormat.MDY)


def test_impossible_dates_are_refused():
    for value, fmt in (("2/30/2024", DateFormat.MDY), ("2024-13-01", DateFormat.ISO)):
        with pytest.raises(ValueError, match="not a date"):
            parse_date(value, fmt)


# --- amounts ---------------------------------------------------------------------------------

AMOUNTS = st.decimals(
    min_value=Decimal(0), max_value=Decimal("999999999.99"), places=2, allow_nan=False
)
CURRENCIES = ["USD", "EUR", "CNY", "JPY", "GBP", "CHF"]


def _comma(locale: str) -> bool:
    return get_decimal_symbol(locale) == ","


@pytest.mark.parametrize("locale", LOCALES)
def test_amounts_formatted_by_each_locale_read_back_with_the_detected_decimal_mark(locale):
    @settings(max_examples=60, deadline=None)
    @given(amounts=st.lists(AMOUNTS, min_size=1, max_size=20), currency=st.sampled_from(CURRENCIES))
    def check(amounts, currency):
        texts = [format_decimal(a, format="#,##0.00", locale=locale) for a in amounts]
        comma = detect_decimal_comma(texts)
        assert comma == _comma(locale)
        assert [parse_amount(t, comma) for t in texts] == amounts
        # with the currency as the locale writes it (the yen has no decimals)
        written = [
            format_currency(
                a, currency, locale=locale, currency_digits=False, format_type="standard"
            )
            for a in amounts
        ]
        assert [parse_amount(t, _comma(locale)) for t in written] == amounts

    check()


@pytest.mark.parametrize("locale", LOCALES)
def test_whole_amounts_read_back_with_the_decimal_comma_option(locale):
    @settings(max_examples=40, deadline=None)
    @given(amounts=st.lists(st.integers(0, 10**10), min_size=1, max_size=20))
    def check(amounts):
        texts = [format_decimal(a, format="#,##0", locale=locale) for a in amounts]
        assert [parse_amount(t, _comma(locale)) for t in texts] == [Decimal(a) for a in amounts]

    check()


@pytest.mark.parametrize(
    ("text", "comma", "expected"),
    [
        ("$60,000.00", False, "60000.00"),
        ("USD 60,000", False, "60000"),
        ("60,000", False, "60000"),
        ("¥1,234", False, "1234"),
        ("1 234,50 €", True, "1234.50"),
        ("1.234,50", True, "1234.50"),
        ("12,5", True, "12.5"),
        ("CHF 1'234.50", False, "1234.50"),
        ("12,34,567.50", False, "1234567.50"),
        ("RMB 8,800", False, "8800"),
    ],
)
def test_amounts_as_other_systems_write_them(text, comma, expected):
    assert detect_decimal_comma([text]) == comma
    assert parse_amount(text, comma) == Decimal(expected)


@pytest.mark.parametrize("text", ["-5", "−5", "(5)", "5-", "-$5", "$-1,000.00", "USD -60,000"])
def test_negative_amounts_stay_refused(text):
    with pytest.raises(ValueError) as refusal:
        parse_amount(text, False)
    assert str(refusal.value) == NEGATIVE


def test_a_column_showing_both_marks_or_several_currencies_is_refused():
    with pytest.raises(UnclearNumbers, match="--decimal-comma"):
        detect_decimal_comma(["12,5", "12.5"], column="Amount")
    assert detect_decimal_comma(["12,5", "1.5"], chosen=True)
    with pytest.raises(UnclearNumbers, match="several currencies"):
        detect_decimal_comma(["$5", "€5"])
    # a mark followed by three digits separates thousands: "60,000" is sixty thousand and
    # "1.234" under a decimal point has three decimals (the money format refuses it)
    assert parse_amount("60,000") == Decimal(60000)
    assert parse_amount("1.234") == Decimal("1.234")
    assert parse_amount("1.234", decimal_comma=True) == Decimal(1234)
    for bad in ("1,2,3", "12,5", "abc", "1.2.3,4.5", "5 %"):
        with pytest.raises(ValueError):
            parse_amount(bad, False)


@pytest.mark.parametrize("locale", LOCALES)
def test_probabilities_with_a_percent_sign_in_each_locale(locale):
    @settings(max_examples=40, deadline=None)
    @given(share=st.integers(0, 1000))
    def check(share):
        fraction = Decimal(share) / 1000
        text = format_percent(fraction, format="#,##0.0%", locale=locale)
        assert parse_percent(text, _comma(locale)) == (fraction * 100).quantize(Decimal("0.1"))

    check()


def test_probability_columns_in_percent_or_as_fractions():
    assert probabilities(["75%", "10", ""]) == [Decimal(75), Decimal(10), None]
    assert probabilities(["0.2", "0.9", "1", "0"]) == [
        Decimal("20.0"),
        Decimal("90.0"),
        Decimal(100),
        Decimal(0),
    ]


# --- encodings and delimiters ----------------------------------------------------------------

SAMPLES = [
    (
        "utf-8",
        "utf-8",
        ",",
        '客户,负责人,金额\n北京华为技术有限公司,张伟,"60,000"\nMüller GmbH,José,5\n',
    ),
    ("utf-8-sig", "utf-8-sig", ",", "customer,owner\nCafé Crème,Zoë\n"),
    ("utf-16", "utf-16", "\t", "customer\towner\tamount\n株式会社山田製作所\t佐藤太郎\t60000\n"),
    (
        "gbk",
        "gb18030",
        ",",
        "客户,负责人,金额,阶段\n北京华为技术有限公司,张伟,60000,赢单\n"
        "上海浦东发展银行,李娜,1234.50,谈判\n",
    ),
    ("gb18030", "gb18030", ",", "客户,金额\n深圳腾讯科技,5\n"),
    (
        "shift_jis",
        "cp932",
        ",",
        "顧客,担当者,金額\n株式会社山田製作所,佐藤太郎,60000\nトヨタ自動車,すずき,5\n",
    ),
    (
        "cp1252",
        "cp1252",
        ";",
        "Kunde;Betreuer;Betrag\nMüller & Söhne GmbH;José García;1.234,50\nCafé – “Crème”;Zoë;€5\n",
    ),
]


@pytest.mark.parametrize(("written", "detected", "delimiter", "text"), SAMPLES)
def test_a_file_in_each_encoding_reads_back_the_same(written, detected, delimiter, text):
    data = text.encode(written)
    assert detect_encoding(data) == detected
    assert detect_delimiter(data.decode(detected)) == delimiter
    table = read_table(data, "export.csv")
    import csv

    expected = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    assert [table.header, *table.rows] == expected


def test_excel_unicode_text_is_utf16_with_tabs_and_a_semicolon_file_is_split_on_semicolons():
    unicode_text = "Name\tAmount\r\nÅngström AB\t10\r\n".encode("utf-16")
    assert read_table(unicode_text, "deals.txt.csv").rows == [["Ångström AB", "10"]]
    semicolons = b"name;amount\nA;1,5\nB;2\n"
    assert read_table(semicolons, "x.csv").rows == [["A", "1,5"], ["B", "2"]]
    assert detect_delimiter("single\ncolumn\n") == ","


def test_excel_date_cells_read_as_dates_with_or_without_a_time():
    book = Workbook()
    sheet = book.active
    sheet.append(["Close Date", "Created Date"])
    sheet.append([datetime(2014, 8, 15), datetime(2013, 12, 20, 4, 13, 7)])
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_table(buffer.getvalue(), "report.xlsx")
    closes, created = zip(*table.rows, strict=True)
    assert parse_date(closes[0], detect_date_format(closes)) == date(2014, 8, 15)
    assert parse_date(created[0], detect_date_format(created)) == date(2013, 12, 20)
