"""The seasonality profiles' table and chart builders, checked through their data and spec."""

from decimal import Decimal

from ui import seasonality_editor

RETAIL = [Decimal(8)] * 10 + [Decimal(10)] * 2
SUMMER = [Decimal("7.5")] * 6 + [Decimal("9.17")] * 5 + [Decimal("8.65")]


def test_the_profile_table_has_a_row_per_profile_and_a_column_per_calendar_month():
    table = seasonality_editor.profile_table({"Retail": RETAIL, "Summer": SUMMER})
    assert list(table.columns) == ["Profile", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                                   "Aug", "Sep", "Oct", "Nov", "Dec"]  # fmt: skip
    assert table.set_index("Profile").loc["Retail", "Nov"] == 10.0
    assert table.set_index("Profile").loc["Summer", "Dec"] == 8.65


def test_the_profile_chart_draws_each_profile_january_to_december():
    spec = seasonality_editor.profile_chart({"Retail": RETAIL, "Summer": SUMMER}).to_dict()
    assert spec["mark"]["type"] == "line"
    assert spec["encoding"]["x"]["sort"] == ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                                             "Aug", "Sep", "Oct", "Nov", "Dec"]  # fmt: skip
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) == 24
    retail = [r["percent"] for r in rows if r["profile"] == "Retail"]
    assert retail == [8.0] * 10 + [10.0] * 2
