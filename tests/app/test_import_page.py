"""The import page under AppTest: who sees which kinds, and the export of what is shown.
(The upload -> map -> preview -> import flow runs in the browser test, where files upload.)"""

from tests.app.conftest import signed_in


def _open_import(username: str):
    at = signed_in(username)
    at.switch_page("pages/import.py").run()
    assert not at.exception, at.exception
    return at


def test_an_administrator_may_import_every_kind_and_is_asked_for_a_file():
    at = _open_import("admin")
    assert at.title[0].value == "Import and export"
    assert at.selectbox(key="import_kind").options == [
        "regions",
        "people",
        "products",
        "customers",
        "exchange_rates",
        "deals",
        "credit_splits",
        "targets",
        "activities",
        "seasonality",
    ]
    assert any("Upload a file" in i.value for i in at.info)
    at.selectbox(key="import_kind").set_value("credit_splits").run()
    assert any("must add up to 100 %" in c.value for c in at.caption)


def test_a_manager_imports_only_records_of_their_area():
    at = _open_import("manager")
    area_kinds = ["people", "customers", "deals", "credit_splits", "activities"]
    assert at.selectbox(key="import_kind").options == area_kinds
    # only the kinds a manager may export are offered, so the box never starts on a refusal
    export = at.selectbox(key="export_kind")
    assert export.options == area_kinds
    assert export.value == "people"
    at.button(key="export_prepare").click().run()
    assert not at.exception and not any("may not export" in i.value for i in at.info)
    assert any(c.value.endswith(" rows") and c.value != "0 rows" for c in at.caption)


def test_reps_have_no_import_page():
    import pytest

    at = signed_in("rep")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/import.py")


def test_an_export_is_prepared_with_csv_and_excel_downloads():
    at = _open_import("director")
    at.selectbox(key="export_kind").set_value("products").run()
    at.button(key="export_prepare").click().run()
    assert not at.exception
    assert any(c.value.endswith(" rows") and c.value != "0 rows" for c in at.caption)
