"""Split credit and deal currencies through the one figures module, on SQLite and PostgreSQL.

Expected values are worked out by hand from the business rules (core.currency's docstring),
never read back from the code under test."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import distinct, select

from core.errors import PermissionDenied, ValidationFailed
from core.periods import fiscal_quarter
from core.pipeline import credit, exchange_rates
from core.progress import figures
from db.schema import Deal
from tests import factories as f

Q3 = fiscal_quarter(2026, 3)
TODAY = date.today()


@pytest.fixture
def team(session):
    north = f.region(session, "Split North")
    south = f.region(session, "Split South")
    boss = f.person(session, "manager", north, manages=[north, south])
    ann = f.person(session, "rep", north)
    bob = f.person(session, "rep", south)
    admin = f.person(session, "admin")
    shop = f.customer(session, ann, north)
    return {
        "north": north,
        "south": south,
        "boss": f.actor(session, boss),
        "ann": ann,
        "bob": bob,
        "admin": f.actor(session, admin),
        "shop": shop,
    }


def _won(session, team, amount, *, currency=None, on=date(2026, 8, 10)):
    return f.deal(
        session,
        team["ann"],
        team["shop"],
        amount=Decimal(amount),
        status="won",
        closed_on=on,
        currency=currency,
    )


def test_erpnext_semantics_two_reps_share_one_order_and_the_territory_counts_it_once(session, team):
    """Two reps, one order of 20 split 50/50: each is credited 10, the region 20 once."""
    deal = _won(session, team, "20.00")
    credit.set_split(
        session, team["boss"], deal.id, deal.version, {team["ann"].id: "50", team["bob"].id: "50"}
    )
    scope = [figures.Deal.id == deal.id]
    by_owner = figures.won(session, Q3, by="owner", where=scope)
    assert by_owner[team["ann"].id].amount == Decimal("10.00")
    assert by_owner[team["bob"].id].amount == Decimal("10.00")
    assert by_owner[team["ann"].id].deals == 1 and by_owner[team["bob"].id].deals == 1
    company = figures.won(session, Q3, by="company", where=scope)
    assert company[None].amount == Decimal("20.00") and company[None].deals == 1
    by_region = figures.won(session, Q3, by="region", where=scope)
    assert by_region[team["north"].id].amount == Decimal("10.00")
    assert by_region[team["south"].id].amount == Decimal("10.00")


def test_a_split_deal_credits_two_regions_and_a_region_filter_finds_its_share(session, team):
    deal = _won(session, team, "1000.01")
    credit.set_split(
        session,
        team["boss"],
        deal.id,
        deal.version,
        {team["ann"].id: "66.67", team["bob"].id: "33.33"},
    )
    # 1000.01 x 66.67 % = 666.706667 and x 33.33 % = 333.303333: floors 666.70 + 333.30 leave
    # one cent, which goes to the larger remainder (Ann's .006667 against Bob's .003333).
    only_south = [figures.Deal.region_id == team["south"].id, figures.Deal.id == deal.id]
    assert figures.won(session, Q3, by="company", where=only_south)[None].amount == Decimal(
        "333.30"
    )
    only_ann = [figures.Deal.owner_id == team["ann"].id, figures.Deal.id == deal.id]
    assert figures.won_by_day(session, Q3, where=only_ann) == {date(2026, 8, 10): Decimal("666.71")}


def test_a_rep_proposes_and_only_a_manager_applies_a_split(session, team):
    deal = _won(session, team, "300.00")
    ann = f.actor(session, team["ann"])
    with pytest.raises(PermissionDenied):
        credit.set_split(session, ann, deal.id, deal.version, {team["ann"].id: "100"})
    credit.propose_split(session, ann, deal.id, {team["ann"].id: "70", team["bob"].id: "30"})
    assert not deal.credit_shared  # a proposal counts for nothing yet
    credit.apply_proposal(session, team["boss"], deal.id, deal.version)
    lines = {line.person_id: line.amount for line in credit.credit_lines(session, ann, deal.id)}
    assert lines == {team["ann"].id: Decimal("210.00"), team["bob"].id: Decimal("90.00")}


def test_a_split_that_does_not_add_up_to_100_changes_nothing(session, team):
    deal = _won(session, team, "300.00")
    with pytest.raises(ValidationFailed, match="add up to 99"):
        credit.set_split(
            session,
            team["boss"],
            deal.id,
            deal.version,
            {team["ann"].id: "60", team["bob"].id: "39"},
        )
    assert not deal.credit_shared
    assert credit.credit_lines(session, team["boss"], deal.id)[0].percent == 100


def test_a_foreign_deal_converts_at_its_close_date_rate_and_is_not_priced_before_any(session, team):
    # CHF: a currency the demo data has no rates for
    exchange_rates.save_rates(
        session,
        team["admin"],
        [("CHF", date(2026, 7, 1), "1.10"), ("CHF", date(2026, 8, 1), "1.20")],
    )
    early = _won(session, team, "100.00", currency="CHF", on=date(2026, 7, 20))
    late = _won(session, team, "100.00", currency="CHF", on=date(2026, 8, 20))
    session.refresh(early)
    session.refresh(late)
    assert early.company_amount == Decimal("110.00")
    assert late.company_amount == Decimal("120.00")
    june = _won(session, team, "41000.00", currency="CHF", on=date(2026, 6, 30))
    session.refresh(june)
    assert june.company_amount is None
    q2 = fiscal_quarter(2026, 2)
    missing = figures.not_priced(session, [*figures.won_in(q2), figures.Deal.id == june.id])
    assert [(m.currency, m.deals, m.amount, m.first_rate) for m in missing] == [
        ("CHF", 1, Decimal("41000.00"), date(2026, 7, 1))
    ]
    # a rate dated earlier prices it, in the same transaction
    exchange_rates.save_rates(session, team["admin"], [("CHF", date(2026, 6, 1), "1.05")])
    session.refresh(june)
    assert june.company_amount == Decimal("43050.00")


def test_a_rate_in_the_future_or_for_the_company_currency_is_refused(session, team):
    with pytest.raises(ValidationFailed, match="after today"):
        exchange_rates.save_rates(
            session, team["admin"], [("CHF", date(TODAY.year + 1, 1, 1), "1.1")]
        )
    with pytest.raises(ValidationFailed, match="company currency"):
        exchange_rates.save_rates(session, team["admin"], [("USD", date(2026, 1, 1), "1")])
    with pytest.raises(PermissionDenied):
        exchange_rates.save_rates(
            session, f.actor(session, team["ann"]), [("CHF", date(2026, 1, 1), "1.1")]
        )


def test_a_plan_with_budget_rates_converts_its_years_deals_at_them(session, team):
    """The active plan of FY2026 fixes CHF at 1.00: its periods' figures use it, the deal's
    dated conversion (1.20) stays on the deal; a split share follows the budget amount. (CHF:
    the demo data has no rates for it.)"""
    from core.plans import budget_rates
    from db.schema import PlanBudgetRate
    from tests.performance_factories import approved_plan

    exchange_rates.save_rates(session, team["admin"], [("CHF", date(2026, 8, 1), "1.20")])
    deal = _won(session, team, "500.00", currency="CHF", on=date(2026, 8, 20))
    scope = [figures.Deal.id == deal.id]
    assert figures.won(session, Q3, by="company", where=scope)[None].amount == Decimal("600.00")
    plan = approved_plan(session, 2026)
    session.add(PlanBudgetRate(plan_id=plan.id, currency="CHF", rate=Decimal("1.00")))
    session.flush()
    assert budget_rates.budget_rates_of(session, plan.id) == {"CHF": Decimal("1.00")}
    assert figures.won(session, Q3, by="company", where=scope)[None].amount == Decimal("500.00")
    credit.set_split(
        session, team["boss"], deal.id, deal.version, {team["ann"].id: "80", team["bob"].id: "20"}
    )
    by_owner = figures.won(session, Q3, by="owner", where=scope)
    assert by_owner[team["ann"].id].amount == Decimal("400.00")
    assert by_owner[team["bob"].id].amount == Decimal("100.00")
    session.refresh(deal)
    assert deal.company_amount == Decimal("600.00")  # the dated conversion, kept on the deal


def test_an_approved_plan_keeps_its_budget_rates(session, team):
    from core.plans import budget_rates
    from tests.performance_factories import approved_plan

    plan = approved_plan(session, 2031)
    with pytest.raises(ValidationFailed, match="approved"):
        budget_rates.set_budget_rates(session, team["admin"], plan.id, {"EUR": "1.1"})
    with pytest.raises(PermissionDenied):
        budget_rates.set_budget_rates(session, team["boss"], plan.id, {"EUR": "1.1"})


def test_every_split_change_versions_the_deal_even_within_one_second(session, team):
    deal = _won(session, team, "100.00")
    first = deal.version
    credit.set_split(
        session, team["boss"], deal.id, first, {team["ann"].id: "50", team["bob"].id: "50"}
    )
    credit.set_split(
        session, team["boss"], deal.id, first + 1, {team["ann"].id: "40", team["bob"].id: "60"}
    )
    assert deal.version == first + 2
    with pytest.raises(Exception, match="saved"):
        credit.set_split(session, team["boss"], deal.id, first + 1, {team["ann"].id: "100"})


def test_the_currencies_in_use_are_for_administrators_and_directors(session, team):
    with pytest.raises(PermissionDenied):
        exchange_rates.currencies_in_use(session, team["boss"])
    assert exchange_rates.currencies_in_use(session, team["admin"])
    assert exchange_rates.rate_rows(session, f.actor(session, team["ann"])) is not None


def test_the_currencies_used_are_every_currency_of_the_deals_and_their_latest_rates(session, team):
    """The skip scan lists the same currencies as reading every deal, and the latest rates are
    the last dated rate of each foreign one that has a rate."""
    exchange_rates.save_rates(
        session,
        team["admin"],
        [("CHF", date(2026, 7, 1), "1.10"), ("CHF", date(2026, 8, 1), "1.20")],
    )
    _won(session, team, "100.00", currency="CHF", on=date(2026, 8, 20))
    _won(session, team, "100.00", currency="XAF", on=date(2026, 8, 20))  # no rate: not priced
    every = sorted(session.scalars(select(distinct(Deal.currency))))
    assert exchange_rates.currencies_used(session, team["admin"]) == every
    assert {"CHF", "XAF"} <= set(every)
    latest = exchange_rates.latest_rates(session, team["admin"])
    assert latest["CHF"] == Decimal("1.20")
    assert "XAF" not in latest
    assert exchange_rates.company_currency(session) not in latest
    uses = {u.currency: u for u in exchange_rates.currencies_in_use(session, team["admin"])}
    assert sorted(uses) == every
    assert (uses["XAF"].deals, uses["XAF"].not_priced) == (1, 1)
    with pytest.raises(PermissionDenied):
        exchange_rates.currencies_used(session, team["boss"])
