"""Attainment page: "Forecast as of" lists the frozen snapshots of the scope and period."""

from datetime import date

from tests.app.conftest import signed_in
from ui.forecast_snapshots import wait_for_snapshots


def _open(username):
    at = signed_in(username)  # the first page view of the week starts taking the snapshots
    wait_for_snapshots(60)
    at.switch_page("pages/attainment.py").run()
    assert not at.exception, at.exception
    return at


def test_the_first_page_view_takes_snapshots_and_attainment_shows_them_beside_today():
    for username in ("director", "rep"):
        at = _open(username)
        assert "Forecast as of" in [s.value for s in at.subheader]
        picker = next(s for s in at.selectbox if s.label == "Snapshot taken on")
        assert picker.value == date.today()
        (table,) = [
            d.value for d in at.dataframe if list(d.value.columns) == ["figure", "as_of", "today"]
        ]
        assert list(table["figure"]) == [
            "Won",
            "Commit",
            "Best case",
            "Pipeline",
            "Weighted pipeline",
            "Forecast",
            "Probability",
        ]
        # taken today from the same figures: today's column agrees with the snapshot's
        won = table.set_index("figure").loc["Won"]
        assert won["as_of"] == won["today"]
