"""In a real browser: a director's Attainment lists, beside Won, a deal won in a currency that
has no exchange rate, at 1280 px and at 390 px wide; screenshots in
tests/e2e/artifacts/not-priced-attainment-*.png."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from db.engine import make_engine, session_factory
from db.schema import Customer, Person
from tests import factories
from tests.e2e.conftest import (
    assert_no_exception,
    screenshot,
    seeded_database,
    served_app,
    sign_in,
    wait_idle,
)

LINE = "1 deal, 12,345 SEK, not priced: no SEK rate."


@pytest.fixture(scope="module")
def unpriced_app(tmp_path_factory):
    """The app over the small demo data plus one deal won today in SEK (SEK has no rate)."""
    folder = tmp_path_factory.mktemp("not-priced")
    url = seeded_database(folder)
    engine = make_engine(url)
    with session_factory(engine, write=True)() as session:
        rep = session.scalars(
            select(Person).where(Person.role == "rep", Person.active.is_(True)).order_by(Person.id)
        ).first()
        customer = session.scalars(
            select(Customer).where(Customer.owner_id == rep.id).order_by(Customer.id)
        ).first()
        factories.deal(
            session,
            rep,
            customer,
            amount=Decimal("12345.00"),
            status="won",
            closed_on=date.today(),
            currency="SEK",
        )
        session.commit()
    engine.dispose()
    with served_app(folder, url) as app_url:
        yield app_url


@pytest.mark.parametrize("width", [1280, 390])
def test_a_directors_attainment_shows_the_deal_not_priced(browser, unpriced_app, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, unpriced_app, "director")
    expect(page.get_by_text("Hello, ", exact=False).first).to_be_visible(timeout=30_000)
    if width < 700:  # on a phone the navigation is folded away
        page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_role("link", name="Attainment & forecast").click()
    expect(page.get_by_role("heading", name="Attainment & forecast")).to_be_visible(timeout=30_000)
    box = page.get_by_test_id("stAlertContentWarning").filter(has_text="Not in Won")
    expect(box).to_be_visible(timeout=30_000)
    expect(box.get_by_text(LINE)).to_be_visible()
    expect(page.get_by_text("Leaves out", exact=False).first).to_be_visible()
    wait_idle(page)
    assert_no_exception(page)
    # the app scrolls inside: a tall window shows the box under the metrics
    page.set_viewport_size({"width": width, "height": 1600 if width >= 700 else 2600})
    wait_idle(page)
    screenshot(page, f"not-priced-attainment-{width}")
    assert not errors, errors
    page.close()
