"""Deal lists and the deal page show each deal's own amount and currency beside its amount in
the company currency, and say why a deal is not priced; on SQLite and PostgreSQL.

Expected company amounts are worked out by hand (amount x the rate in effect, half up to cents),
never read back from the code under test. The currencies are ones the demo data does not use
(CHF with rates made here, SEK with none), so the demo's rates cannot change the expectations.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core import customers
from core.currency import CURRENCIES
from core.pipeline import deal_amounts, exchange_rates, views
from core.pipeline.deals import DealUpdate, update_deal
from core.pipeline.pricing import company_currency
from tests import factories as f
from tests.support import statements_sent

TODAY = date.today()
FIRST_CHF = TODAY - timedelta(days=90)
LATEST_CHF = TODAY - timedelta(days=10)


@pytest.fixture
def desk(session):
    """A region with a rep, a manager and an admin, and CHF rates: 1.10 from 90 days ago,
    1.25 from 10 days ago (so an open CHF deal converts at 1.25 today)."""
    region = f.region(session, "Money North")
    manager = f.person(session, "manager", region, manages=[region])
    rep = f.person(session, "rep", region)
    admin = f.actor(session, f.person(session, "admin"))
    shop = f.customer(session, rep, region)
    exchange_rates.save_rates(
        session, admin, [("CHF", FIRST_CHF, "1.10"), ("CHF", LATEST_CHF, "1.25")]
    )
    return {"region": region, "manager": manager, "rep": rep, "shop": shop}


def _open(session, desk, amount, currency=None, close=None):
    return f.deal(
        session,
        desk["rep"],
        desk["shop"],
        amount=Decimal(amount),
        currency=currency,
        expected_close=close or TODAY + timedelta(days=30),
    )


def test_my_deals_give_amount_currency_and_company_amount_and_say_when_not_priced(session, desk):
    company = company_currency(session)
    chf = _open(session, desk, "41000.00", "CHF", TODAY + timedelta(days=5))
    sek = _open(session, desk, "9000.00", "SEK", TODAY + timedelta(days=6))
    home = _open(session, desk, "100.00", None, TODAY + timedelta(days=7))
    frame = views.my_open_deals(session, f.actor(session, desk["rep"])).set_index("id")

    assert list(frame.index) == [chf.id, sek.id, home.id]  # soonest close first, as before
    assert frame.loc[chf.id, "amount"] == Decimal("41000.00")
    assert frame.loc[chf.id, "currency"] == "CHF"
    assert frame.loc[chf.id, "company_amount"] == Decimal("51250.00")  # 41,000 x 1.25
    assert frame.loc[chf.id, "first_rate"] is None  # priced: no reason to give
    # SEK has no rate at all: not priced, and no first rate to name
    assert frame.loc[sek.id, "currency"] == "SEK"
    assert frame.loc[sek.id, "company_amount"] is None
    assert frame.loc[sek.id, "first_rate"] is None
    # a deal in the company currency is its own company amount
    assert frame.loc[home.id, "currency"] == company
    assert frame.loc[home.id, "company_amount"] == Decimal("100.00")


def test_a_deal_closed_before_its_currencys_first_rate_names_that_rate(session, desk):
    early = FIRST_CHF - timedelta(days=3)
    won = f.deal(
        session,
        desk["rep"],
        desk["shop"],
        amount=Decimal("700.00"),
        status="won",
        closed_on=early,
        currency="CHF",
    )
    manager = f.actor(session, desk["manager"])
    filters = views.PipelineFilter(region_id=desk["region"].id, statuses=("won",))
    table = views.pipeline_deals(session, manager, filters).set_index("id")
    assert table.loc[won.id, "company_amount"] is None
    assert table.loc[won.id, "first_rate"] == FIRST_CHF
    assert table.loc[won.id, "weighted"] is None  # nothing to weigh without a company amount

    detail = views.deal_detail(session, manager, won.id)
    assert (detail.amount, detail.currency, detail.company_amount) == (
        Decimal("700.00"),
        "CHF",
        None,
    )
    assert detail.first_rate == FIRST_CHF
    assert detail.company_currency == company_currency(session)


def test_the_deal_page_converts_a_won_deal_at_its_close_date_rate(session, desk):
    closed = FIRST_CHF + timedelta(days=1)  # the 1.10 rate is in effect then
    won = f.deal(
        session,
        desk["rep"],
        desk["shop"],
        amount=Decimal("333.33"),
        status="won",
        closed_on=closed,
        currency="CHF",
    )
    detail = views.deal_detail(session, f.actor(session, desk["rep"]), won.id)
    assert detail.company_amount == Decimal("366.66")  # 333.33 x 1.10 = 366.663, half up
    assert detail.first_rate is None


def test_the_pipeline_table_sorts_by_company_amount_with_the_not_priced_last(session, desk):
    amounts = {
        "small home": ("500.00", None),  # 500.00
        "big chf": ("1000.00", "CHF"),  # 1,250.00
        "unpriced big": ("99999.00", "SEK"),  # not priced
        "mid home": ("1200.00", None),  # 1,200.00
        "unpriced small": ("1.00", "SEK"),  # not priced
    }
    made = {name: _open(session, desk, a, c) for name, (a, c) in amounts.items()}
    manager = f.actor(session, desk["manager"])
    filters = views.PipelineFilter(region_id=desk["region"].id)
    table = views.pipeline_deals(session, manager, filters, largest_first=True)
    order = [made[n].id for n in ("big chf", "mid home", "small home")]
    assert list(table["id"])[:3] == order
    assert set(table["id"][3:]) == {made["unpriced big"].id, made["unpriced small"].id}
    assert table["company_amount"].iloc[:3].tolist() == [
        Decimal("1250.00"),
        Decimal("1200.00"),
        Decimal("500.00"),
    ]
    # the board's cards rank the same way, and carry both amounts
    top = views.pipeline_top_deals(session, manager, filters, per_stage=5)
    assert list(top["id"])[:3] == order
    assert {"amount", "currency", "company_amount", "first_rate"} <= set(top.columns)


def test_a_changed_currency_is_repriced_and_shown(session, desk):
    deal = _open(session, desk, "200.00")
    rep = f.actor(session, desk["rep"])
    update_deal(session, rep, deal.id, deal.version, DealUpdate(currency="CHF"))
    detail = views.deal_detail(session, rep, deal.id)
    assert (detail.currency, detail.company_amount) == ("CHF", Decimal("250.00"))  # x 1.25


def test_the_customer_timeline_carries_both_amounts_on_the_deals_own_entries(session, desk):
    chf = _open(session, desk, "41000.00", "CHF")
    sek = _open(session, desk, "9000.00", "SEK")
    rep = f.actor(session, desk["rep"])
    timeline = customers.customer_timeline(session, rep, desk["shop"].id)
    deals = timeline[timeline["kind"] == "Deal"]
    chf_row = deals[deals["what"].str.startswith(chf.name)].iloc[0]
    assert (chf_row["amount"], chf_row["currency"]) == (Decimal("41000.00"), "CHF")
    assert chf_row["company_amount"] == Decimal("51250.00") and not chf_row["not_priced"]
    sek_row = deals[deals["what"].str.startswith(sek.name)].iloc[0]
    assert sek_row["company_amount"] is None and sek_row["not_priced"]
    assert sek_row["first_rate"] is None
    # entries without an amount are not "not priced"
    assert not timeline[timeline["kind"] != "Deal"]["not_priced"].any()


def test_a_colleagues_deal_on_the_timeline_hides_its_currency_too(session, desk):
    region = desk["region"]
    other = f.person(session, "rep", region)
    theirs = f.deal(session, other, desk["shop"], amount=Decimal("10.00"), currency="CHF")
    timeline = customers.customer_timeline(session, f.actor(session, desk["rep"]), desk["shop"].id)
    hidden = timeline[timeline["amount_hidden"]]
    assert len(hidden) >= 1 and theirs.name not in " ".join(timeline["what"])
    assert hidden["amount"].isna().all() and hidden["currency"].isna().all()
    assert hidden["company_amount"].isna().all() and not hidden["not_priced"].any()


def test_the_currency_choices_put_the_company_currency_first_then_those_with_rates(session, desk):
    choices = deal_amounts.currency_choices(session)
    company = company_currency(session)
    assert choices.codes[0] == company == choices.company
    assert "CHF" in choices.with_rates and "SEK" in choices.without_rates
    assert list(choices.with_rates) == sorted(choices.with_rates)
    assert choices.codes[1 : 1 + len(choices.with_rates)] == list(choices.with_rates)
    assert sorted(choices.codes) == sorted(CURRENCIES) and len(set(choices.codes)) == len(
        choices.codes
    )


def _statements(session, read) -> int:
    return statements_sent(session.get_bind().engine, read)


def test_the_lists_read_the_money_in_the_same_query_whatever_the_number_of_deals(session, desk):
    rep = f.actor(session, desk["rep"])
    manager = f.actor(session, desk["manager"])
    filters = views.PipelineFilter(region_id=desk["region"].id)
    _open(session, desk, "1.00", "SEK")

    def reads():
        return [
            _statements(session, lambda: views.my_open_deals(session, rep)),
            _statements(session, lambda: views.pipeline_deals(session, manager, filters)),
            _statements(session, lambda: views.pipeline_top_deals(session, manager, filters)),
            _statements(
                session, lambda: customers.customer_timeline(session, rep, desk["shop"].id)
            ),
        ]

    session.flush()
    few = reads()
    for index in range(6):
        _open(session, desk, f"{index + 2}.00", ("CHF", "SEK", None)[index % 3])
    session.flush()
    assert reads() == few
