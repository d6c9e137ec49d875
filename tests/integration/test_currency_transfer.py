"""Deal currencies, exchange rates and credit splits through import and export, on SQLite and
PostgreSQL (the seeded demo data around them).

Expected values come from the files the tests import, worked out here with pandas and Decimal
(merge_asof by currency on the close date, half-up rounding per deal), never read back from the
code under test.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest
from sqlalchemy import func, select

from core.errors import DomainError, PermissionDenied
from core.periods import fiscal_quarter
from core.pipeline import pricing
from core.progress import figures
from core.transfer import ColumnMapping, ImportFailed, Kind, export_frame, import_table
from core.transfer.reading import read_table
from core.transfer.spreadsheets import to_csv_bytes
from db.schema import AuditLog, CreditSplit, Deal, ExchangeRate
from tests import factories as f
from tests.security_support import fingerprint
from tests.transfer_support import csv_table

Q1_2015 = fiscal_quarter(2015, 1)
NEXT_MONTH = date.today() + timedelta(days=30)
NEW_CUSTOMERS = ColumnMapping(create_missing_customers=True, similar_names_are_new=True)

RATES = """\
currency,date,rate
eur,2015-01-01,1.085
EUR,2015-02-15,1.1025
JPY,2015-01-01,0.0068
JPY,2015-02-20,0.00705
"""
"""Two currencies, two dates each: the second rate takes effect on its date."""


def _deals_file(owners: dict[str, str]) -> str:
    """Deals won in the first quarter of 2015 on either side of the rate changes (two of them
    exactly half a cent after conversion, to see half-up rounding), one in a currency with no
    rate, one won after the quarter, one open (without a rate too)."""
    a, b = owners["ann"], owners["bob"]
    return f"""\
external_id,customer,owner,amount,currency,stage,created_on,closed_on
FXQ-1,FX Harbour Ltd,{a},5000.00,,Won,2014-12-01,2015-01-20
FXQ-2,FX Rhein GmbH,{a},1234.57,EUR,Won,2014-12-01,2015-02-14
FXQ-3,FX Rhein GmbH,{a},1.00,eur,Won,2014-12-01,2015-01-31
FXQ-4,FX Seine SA,{b},2000.00,EUR,Won,2014-12-01,2015-02-15
FXQ-5,FX Fuji KK,{b},123457,JPY,Won,2014-12-01,2015-02-19
FXQ-6,FX Fuji KK,{b},100,jpy,Won,2014-12-01,2015-03-30
FXQ-7,FX Alpen AG,{a},41000.00,CHF,Won,2014-12-01,2015-03-05
FXQ-8,FX Seine SA,{b},999.00,EUR,Won,2014-12-01,2015-04-02
FXQ-9,FX Alpen AG,{b},5000,CHF,Qualified,2014-12-01,
"""


@pytest.fixture
def org(session):
    """Two regions, a manager of the first, a rep in each, a director and a company in USD."""
    north = f.region(session, "FX North")
    south = f.region(session, "FX South")
    boss = f.person(session, "manager", north, manages=[north])
    ann = f.person(session, "rep", north)
    bob = f.person(session, "rep", south)
    director = f.person(session, "director")
    assert pricing.company_currency(session) == "USD"
    return {
        "north": north,
        "south": south,
        "boss": f.actor(session, boss),
        "ann": ann,
        "ann_actor": f.actor(session, ann),
        "bob": bob,
        "director": f.actor(session, director),
    }


def _import(session, actor, kind, text, mapping=None):
    return import_table(session, actor, kind, csv_table(text), mapping)


def _through_file(frame, kind):
    return read_table(to_csv_bytes(frame), f"{kind}.csv")


def _owners(org) -> dict[str, str]:
    return {"ann": org["ann"].email, "bob": org["bob"].email}


@pytest.fixture
def quarter(session, org):
    """The rates and the deals imported from their files. The demo data's own rates begin
    years later, so the files' rates are the only ones in effect in the quarter."""
    first = dict(
        session.execute(
            select(ExchangeRate.currency, func.min(ExchangeRate.valid_from))
            .where(ExchangeRate.currency.in_(["EUR", "JPY", "CHF"]))
            .group_by(ExchangeRate.currency)
        ).all()
    )
    assert "CHF" not in first and all(day > Q1_2015.end for day in first.values()), first
    deals = _deals_file(_owners(org))
    _import(session, org["director"], Kind.EXCHANGE_RATES, RATES)
    _import(session, org["director"], Kind.DEALS, deals, NEW_CUSTOMERS)
    return {"rates": RATES, "deals": deals}


def _frame(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def _expected_company_amounts(rates_text: str, deals_text: str, company: str) -> pd.DataFrame:
    """Each deal of the file with its rate in effect on its close date (merge_asof by currency)
    and its company amount rounded half up to cents (None: no rate in effect)."""
    rates = _frame(rates_text)
    rates["currency"] = rates["currency"].str.upper()
    rates["valid_from"] = pd.to_datetime(rates["date"])
    rates["rate"] = rates["rate"].map(Decimal)
    deals = _frame(deals_text)
    deals = deals[deals["closed_on"] != ""].copy()
    deals["currency"] = deals["currency"].str.upper().replace("", company)
    deals["closed"] = pd.to_datetime(deals["closed_on"])
    merged = pd.merge_asof(
        deals.sort_values("closed"),
        rates[["currency", "valid_from", "rate"]].sort_values("valid_from"),
        left_on="closed",
        right_on="valid_from",
        by="currency",
        direction="backward",
    )

    def company_amount(row) -> Decimal | None:
        if row["currency"] == company:
            rate = Decimal(1)
        elif isinstance(row["rate"], Decimal):
            rate = row["rate"]
        else:
            return None
        return (Decimal(row["amount"]) * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    merged["company_amount"] = merged.apply(company_amount, axis=1)
    return merged


def test_a_mixed_currency_quarter_adds_up_as_an_independent_pandas_computation(
    session, org, quarter
):
    expected = _expected_company_amounts(quarter["rates"], quarter["deals"], "USD")
    in_quarter = expected[
        (expected["stage"] == "Won")
        & (expected["closed"] >= pd.Timestamp(Q1_2015.start))
        & (expected["closed"] <= pd.Timestamp(Q1_2015.end))
    ]
    priced = in_quarter[in_quarter["company_amount"].notna()]
    unpriced = in_quarter[in_quarter["company_amount"].isna()]
    ours = [Deal.external_id.like("FXQ-%")]
    assert figures.budget_rates(session, Q1_2015) == {}  # the dated rates decide

    won = figures.won(session, Q1_2015, by="company", where=ours)

    assert won[None].amount == sum(priced["company_amount"], Decimal(0))
    assert won[None].deals == len(priced)
    not_priced = figures.not_priced(session, [*figures.won_in(Q1_2015), *ours], period=Q1_2015)
    by_code = unpriced.groupby("currency")["amount"]
    assert [(n.currency, n.deals, n.amount, n.first_rate) for n in not_priced] == [
        (code, len(amounts), sum(map(Decimal, amounts), Decimal(0)), None)
        for code, amounts in by_code
    ]
    # the file holds what the test is about: both sides of each rate change, the half cents
    assert set(priced["currency"]) == {"USD", "EUR", "JPY"}
    used = priced[priced["currency"] != "USD"]
    assert len(set(zip(used["currency"], used["valid_from"], strict=True))) == 4
    assert list(unpriced["external_id"]) == ["FXQ-7"]
    stored = dict(
        session.execute(
            select(Deal.external_id, Deal.company_amount).where(
                Deal.external_id.in_(["FXQ-3", "FXQ-6"])
            )
        ).all()
    )
    assert stored == {"FXQ-3": Decimal("1.09"), "FXQ-6": Decimal("0.71")}


def test_deals_with_currencies_round_trip_through_export_and_import(session, org, quarter):
    exported = export_frame(session, org["director"], Kind.DEALS)
    ours = exported[exported["external_id"].str.startswith("FXQ-")].reset_index(drop=True)
    given = _frame(quarter["deals"])
    assert list(ours["currency"]) == [c.upper() or "USD" for c in given["currency"]]
    expected = _expected_company_amounts(quarter["rates"], quarter["deals"], "USD")
    company = {
        row.external_id: "" if row.company_amount is None else f"{row.company_amount:.2f}"
        for row in expected.itertuples()
    }
    company["FXQ-9"] = ""  # open, and CHF has no rate at all
    assert dict(zip(ours["external_id"], ours["company_amount"], strict=True)) == company

    again = import_table(session, org["director"], Kind.DEALS, _through_file(ours, Kind.DEALS))

    assert (again.created, again.updated, again.unchanged) == (0, 0, len(ours))
    after = export_frame(session, org["director"], Kind.DEALS)
    assert after.equals(exported)


def test_an_imported_change_of_currency_reprices_the_deal(session, org, quarter):
    changed = (
        "external_id,customer,owner,amount,currency,stage,created_on,closed_on\n"
        f"FXQ-1,FX Harbour Ltd,{org['ann'].email},5000.00,JPY,Won,2014-12-01,2015-01-20\n"
        f"FXQ-7,FX Alpen AG,{org['ann'].email},41000.00,eur,Won,2014-12-01,2015-03-05\n"
    )

    result = _import(session, org["director"], Kind.DEALS, changed)

    assert result.updated == 2
    rows = dict(
        session.execute(
            select(Deal.external_id, Deal.company_amount).where(
                Deal.external_id.in_(["FXQ-1", "FXQ-7"])
            )
        ).all()
    )
    # 5000 JPY on 2015-01-20 at 0.0068; 41000 EUR on 2015-03-05 at 1.1025
    assert rows == {"FXQ-1": Decimal("34.00"), "FXQ-7": Decimal("45202.50")}
    currencies = session.scalars(
        select(Deal.currency)
        .where(Deal.external_id.in_(["FXQ-1", "FXQ-7"]))
        .order_by(Deal.external_id)
    ).all()
    assert currencies == ["JPY", "EUR"]


def test_exchange_rates_round_trip_through_export_and_import(session, org, quarter):
    exported = export_frame(session, org["director"], Kind.EXCHANGE_RATES)
    ours = exported[exported["date"].str.startswith("2015-")]
    given = _frame(RATES)
    assert sorted(map(tuple, ours.to_numpy().tolist())) == sorted(
        (c.upper(), d, str(Decimal(r))) for c, d, r in given.to_numpy().tolist()
    )
    rates_before = session.scalar(select(func.count()).select_from(ExchangeRate))

    again = import_table(
        session, org["director"], Kind.EXCHANGE_RATES, _through_file(exported, Kind.EXCHANGE_RATES)
    )

    assert (again.created, again.updated, again.unchanged) == (0, 0, len(exported))
    assert session.scalar(select(func.count()).select_from(ExchangeRate)) == rates_before
    assert export_frame(session, org["director"], Kind.EXCHANGE_RATES).equals(exported)


def test_an_imported_rate_replaces_the_rate_of_its_day_and_reprices_its_deals(
    session, org, quarter
):
    result = _import(
        session, org["director"], Kind.EXCHANGE_RATES, "currency,date,rate\nEUR,2015-02-15,1.2"
    )

    assert (result.created, result.updated) == (0, 1)
    amount = session.scalar(select(Deal.company_amount).where(Deal.external_id == "FXQ-4"))
    assert amount == Decimal("2400.00")  # 2000 EUR at 1.2 from 2015-02-15


def _split_file(org) -> str:
    a, b, ann_by_name = org["ann"].email, org["bob"].email, org["ann"].name
    return (
        "deal,person,percent\n"
        f"FXQ-2,{a},60\n"
        f"FXQ-2,{b},40%\n"
        f"FXQ-3,{ann_by_name},33.33\n"
        f"FXQ-3,{b},66.67\n"
    )


def _by_ref(session, column) -> dict:
    """External id -> `column` of this file's deals."""
    query = select(Deal.external_id, column).where(Deal.external_id.like("FXQ-%"))
    return {ext: value for ext, value in session.execute(query)}


def _shares(session) -> dict[str, dict[int, Decimal]]:
    rows = session.execute(
        select(Deal.external_id, CreditSplit.person_id, CreditSplit.percent, CreditSplit.amount)
        .join(Deal, Deal.id == CreditSplit.deal_id)
        .where(Deal.external_id.like("FXQ-%"))
    )
    out: dict[str, dict[int, Decimal]] = {}
    for ext, person, percent, amount in rows:
        out.setdefault(ext, {})[person] = (Decimal(percent), amount)
    return out


def test_credit_splits_round_trip_and_a_single_line_to_the_owner_ends_the_split(
    session, org, quarter
):
    ann, bob = org["ann"].id, org["bob"].id
    versions = _by_ref(session, Deal.version)

    result = _import(session, org["boss"], Kind.CREDIT_SPLITS, _split_file(org))

    assert (result.created, result.updated, result.unchanged) == (4, 0, 0)
    # 1339.51 USD (1234.57 EUR at 1.085) 60/40; 1.09 USD 33.33/66.67 (largest remainder)
    assert _shares(session) == {
        "FXQ-2": {ann: (Decimal(60), Decimal("803.71")), bob: (Decimal(40), Decimal("535.80"))},
        "FXQ-3": {
            ann: (Decimal("33.33"), Decimal("0.36")),
            bob: (Decimal("66.67"), Decimal("0.73")),
        },
    }
    after = _by_ref(session, Deal.version)
    assert {k for k in after if after[k] != versions[k]} == {"FXQ-2", "FXQ-3"}
    audited = session.scalars(
        select(AuditLog.entity_id)
        .where(AuditLog.action == "deal.split")
        .order_by(AuditLog.id.desc())
        .limit(2)
    ).all()
    ids = _by_ref(session, Deal.id)
    assert sorted(audited) == sorted([ids["FXQ-2"], ids["FXQ-3"]])
    # the region of each credited person gets their share; the company counts each deal once
    north = figures.won(session, Q1_2015, by="region", where=[Deal.external_id.in_(["FXQ-2"])])
    assert north[org["north"].id].amount == Decimal("803.71")
    assert north[org["south"].id].amount == Decimal("535.80")

    exported = export_frame(session, org["boss"], Kind.CREDIT_SPLITS)
    assert exported.to_numpy().tolist() == [
        ["FXQ-2", org["ann"].email, "60.00"],
        ["FXQ-2", org["bob"].email, "40.00"],
        ["FXQ-3", org["bob"].email, "66.67"],
        ["FXQ-3", org["ann"].email, "33.33"],
    ]
    again = import_table(
        session, org["boss"], Kind.CREDIT_SPLITS, _through_file(exported, Kind.CREDIT_SPLITS)
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)

    back = _import(
        session,
        org["boss"],
        Kind.CREDIT_SPLITS,
        f"deal,person,percent\nFXQ-2,{org['ann'].email},100\n",
    )

    assert (back.created, back.updated, back.unchanged) == (0, 1, 0)
    assert set(_shares(session)) == {"FXQ-3"}  # FXQ-3 had no rows: it keeps its split
    shared = _by_ref(session, Deal.credit_shared)
    assert (shared["FXQ-2"], shared["FXQ-3"]) == (False, True)


def _state(session) -> dict:
    """Everything a refused import could have touched."""
    return {
        "tables": fingerprint(session),
        "deals": sorted(
            session.execute(
                select(
                    Deal.external_id,
                    Deal.currency,
                    Deal.company_amount,
                    Deal.version,
                    Deal.credit_shared,
                ).where(Deal.external_id.like("FXQ-%"))
            ).all()
        ),
        "rates": sorted(
            session.execute(
                select(ExchangeRate.currency, ExchangeRate.valid_from, ExchangeRate.rate)
            ).all()
        ),
        "splits": _shares(session),
    }


def test_refused_files_change_nothing(session, org, quarter):
    _import(session, org["director"], Kind.CREDIT_SPLITS, _split_file(org))
    ann, bob = org["ann"].email, org["bob"].email
    header = "external_id,customer,owner,amount,currency,stage,created_on,closed_on\n"
    refused = [
        (
            org["director"],
            Kind.DEALS,
            header
            + f"FXQ-1,FX Harbour Ltd,{ann},5000.00,EUR,Won,2014-12-01,2015-01-20\n"
            + f"FXQ-10,FX Harbour Ltd,{ann},10.00,EURO,Qualified,2014-12-01,\n",
            "row 3, currency 'EURO'",
        ),
        (
            org["director"],
            Kind.EXCHANGE_RATES,
            f"currency,date,rate\nEUR,2015-03-01,1.3\nJPY,{NEXT_MONTH},0.007\n",
            "row 3, date",
        ),
        (
            org["director"],
            Kind.EXCHANGE_RATES,
            "currency,date,rate\nEUR,2015-03-01,1.3\nusd,2015-03-01,1\n",
            "row 3, currency 'USD'",
        ),
        (
            org["director"],
            Kind.CREDIT_SPLITS,
            f"deal,person,percent\nFXQ-4,{ann},50\nFXQ-2,{ann},59.99\nFXQ-2,{bob},40\nFXQ-4,{bob},50\n",
            "The shares add up to 99.99 %",
        ),
        (
            org["director"],
            Kind.CREDIT_SPLITS,
            f"deal,person,percent\nFXQ-4,{ann},50\nFXQ-4,nobody@test.example,50\n",
            "row 3, person 'nobody@test.example': no person with this email",
        ),
        (
            org["director"],
            Kind.CREDIT_SPLITS,
            f"deal,person,percent\nFXQ-4,{ann},50\nFXQ-4,Nobody At All,50\n",
            "row 3, person 'Nobody At All': no person with this name",
        ),
    ]
    for actor, kind, text, message in refused:
        before = _state(session)
        with pytest.raises(ImportFailed) as failure:
            _import(session, actor, kind, text)
        assert message in str(failure.value), kind
        assert _state(session) == before, kind

    not_allowed = [
        # a rep imports nothing, splits included
        (org["ann_actor"], Kind.CREDIT_SPLITS, f"deal,person,percent\nFXQ-2,{ann},100\n"),
        # a manager may not split a deal outside their area (FXQ-4 is in the south)
        (
            org["boss"],
            Kind.CREDIT_SPLITS,
            f"deal,person,percent\nFXQ-2,{ann},100\nFXQ-4,{ann},50\nFXQ-4,{bob},50\n",
        ),
        # rates are for directors and administrators
        (org["boss"], Kind.EXCHANGE_RATES, "currency,date,rate\nEUR,2015-03-01,1.3\n"),
    ]
    for actor, kind, text in not_allowed:
        before = _state(session)
        with pytest.raises(PermissionDenied):
            _import(session, actor, kind, text)
        assert _state(session) == before, kind


def test_a_dry_run_of_splits_reports_a_refused_deal_and_writes_nothing(session, org, quarter):
    before = _state(session)
    text = f"deal,person,percent\nFXQ-4,{org['ann'].email},50\nFXQ-4,{org['bob'].email},50\n"
    with pytest.raises(DomainError, match="FXQ-4"):
        import_table(session, org["boss"], Kind.CREDIT_SPLITS, csv_table(text), dry_run=True)
    ok = import_table(session, org["director"], Kind.CREDIT_SPLITS, csv_table(text), dry_run=True)
    assert (ok.created, ok.dry_run) == (2, True)
    assert _state(session) == before
