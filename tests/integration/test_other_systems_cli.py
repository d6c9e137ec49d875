"""`manage.py import` with the shipped presets and the format options, as a user runs it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import create_engine, select

from db.schema import Deal
from tests.conftest import ROOT
from tests.transfer_support import manage_in_process

EXPORTS = ROOT / "tests" / "fixtures" / "exports"


def test_a_salesforce_report_goes_in_with_two_commands_and_says_how_it_was_read(
    tmp_path, monkeypatch, capsys
):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    report = str(EXPORTS / "salesforce-opportunities-us.csv")
    assert manage_in_process(monkeypatch, capsys, url, "init-db")[0] == 0
    code, out, err = manage_in_process(
        monkeypatch,
        capsys,
        url,
        "import",
        "people",
        report,
        "--preset",
        "salesforce-opportunity-owners",
        "--email-domain",
        "acme.example",
    )
    assert code == 0, err
    assert out.startswith("Imported: 3 people rows; 3 were created")
    code, out, err = manage_in_process(
        monkeypatch, capsys, url, "import", "deals", report, "--preset", "salesforce-opportunities"
    )
    assert code == 0, err
    assert out.startswith("Imported: 12 deals rows; 12 were created")
    assert "note: Column 'Close Date' is read as month/day/year (8/15/2014)." in err
    with create_engine(url).connect() as connection:
        won = connection.execute(
            select(Deal.amount).where(
                Deal.status == "won", Deal.closed_on.between(date(2014, 8, 1), date(2014, 8, 31))
            )
        ).scalars()
        assert sorted(str(a) for a in won) == ["12500.50", "235000.00", "85000.00"]


def test_an_ambiguous_file_is_refused_until_date_format_and_decimal_comma_say_how_to_read_it(
    tmp_path, monkeypatch, capsys
):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    assert manage_in_process(monkeypatch, capsys, url, "init-db")[0] == 0
    products = tmp_path / "produkte.csv"
    products.write_bytes("name;list_price\nKaffeemühle;1.299\nFilter;5\n".encode("cp1252"))
    code, _, err = manage_in_process(monkeypatch, capsys, url, "import", "products", str(products))
    assert code == 1
    assert "list_price '1.299': more than two decimals" in err
    code, out, err = manage_in_process(
        monkeypatch, capsys, url, "import", "products", str(products), "--decimal-comma"
    )
    assert code == 0, err
    assert "note: The file is Windows-1252 text separated by semicolons." in err
    people = tmp_path / "people.csv"
    people.write_text("email,name,hire_date\na@acme.example,Ann,3/4/2024\n", encoding="utf-8")
    code, _, err = manage_in_process(monkeypatch, capsys, url, "import", "people", str(people))
    assert code == 1
    assert "--date-format MDY or DMY" in err
    code, out, err = manage_in_process(
        monkeypatch, capsys, url, "import", "people", str(people), "--date-format", "DMY"
    )
    assert code == 0, err
    assert "note: Column 'hire_date' is read as day/month/year" in err


def test_suggest_stages_imports_unmapped_stage_names_as_proposed_and_says_so(
    tmp_path, monkeypatch, capsys
):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    report = tmp_path / "report.csv"
    text = (EXPORTS / "salesforce-opportunities-us.csv").read_text(encoding="utf-8")
    report.write_text(text.replace('"Needs Analysis"', '"Discovery Call"'), encoding="utf-8")
    assert manage_in_process(monkeypatch, capsys, url, "init-db")[0] == 0
    owners = ("--preset", "salesforce-opportunity-owners", "--email-domain", "acme.example")
    assert (
        manage_in_process(monkeypatch, capsys, url, "import", "people", str(report), *owners)[0]
        == 0
    )
    deals = ("import", "deals", str(report), "--preset", "salesforce-opportunities")
    code, _, err = manage_in_process(monkeypatch, capsys, url, *deals)
    assert code == 1
    assert "stage 'Discovery Call': unknown stage" in err
    code, out, err = manage_in_process(monkeypatch, capsys, url, *deals, "--suggest-stages")
    assert code == 0, err
    assert "note: stage 'Discovery Call' is imported as 'Qualified' (probability 20%)." in err
    assert out.startswith("Imported: 12 deals rows; 12 were created")
