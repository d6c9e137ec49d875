"""Credit split in a real browser: a manager splits a won deal 60/40 between two reps on the
deal page, and each rep's Home shows their share in Won. The two reps and the deal are made for
this test (a fresh database), so the expected figures are the shares worked out here in cents.
Screenshots at 1280 and 390 px: tests/e2e/artifacts/credit-split-*.png."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_FLOOR, Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.demo.org import DEMO_PASSWORD
from core.models import Role
from core.org.access import SYSTEM_ACTOR, in_scope, load_actor
from core.org.people import PersonCreate, add_person
from core.pipeline.pricing import company_currency
from db.engine import make_engine, session_factory
from db.schema import CreditSplit, Deal, Person, Region
from tests import factories as f
from tests.e2e.conftest import (
    assert_no_exception,
    screenshot,
    seeded_database,
    served_app,
    sign_in,
    sign_out,
    wait_idle,
)
from ui.format import money

DESKTOP = {"width": 1280, "height": 1000}
PHONE = {"width": 390, "height": 844}
AMOUNT = Decimal("12345.67")
PROBES = re.compile(r"Failed to load resource: the server responded with a status of 404")


def _shares(amount: Decimal, percents: list[Decimal]) -> list[Decimal]:
    """Largest remainder in cents: floors first, the cents left to the largest remainders."""
    cents = amount * 100
    exact = [cents * p / 100 for p in percents]
    floors = [e.to_integral_value(rounding=ROUND_FLOOR) for e in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[: int(cents - sum(floors))]:
        floors[i] += 1
    return [c / 100 for c in floors]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A fresh demo database with two new reps in the demo manager's area and one deal of the
    first, won today; then the app served over it."""
    folder = tmp_path_factory.mktemp("credit")
    url = seeded_database(folder)
    factory = session_factory(make_engine(url))
    with factory.begin() as session:
        manager = session.scalar(select(Person).where(Person.username == "manager"))
        scope = load_actor(session, manager.id)
        region = session.scalars(
            select(Region).join(Person, Person.region_id == Region.id).where(Person.role == "rep")
        ).all()
        team = next(r for r in region if in_scope(scope, r.id))
        reps = []
        for login, name in (("credit.ada", "Ada Credit"), ("credit.ben", "Ben Credit")):
            data = PersonCreate(
                email=f"{login}@example.com",
                name=name,
                role=Role.REP,
                region=team.name,
                username=login,
                hire_date=date(2020, 1, 1),
                password=DEMO_PASSWORD,
            )
            reps.append(session.get(Person, add_person(session, SYSTEM_ACTOR, data)))
        ada, ben = reps
        shop = f.customer(session, ada, team, name="Credit Split Test Customer")
        deal = f.deal(session, ada, shop, amount=AMOUNT, status="won", closed_on=date.today())
        deal.name = "Credit split test deal"
        session.flush()
        ids = {"deal": deal.id, "ada": ada.id, "ben": ben.id, "currency": company_currency(session)}
    with served_app(folder, url) as app_url:
        yield {**ids, "url": app_url, "factory": factory}


def _settle(page) -> None:
    page.wait_for_timeout(300)
    wait_idle(page)


def _won_on_home(page, app_url: str, username: str) -> str:
    sign_in(page, app_url, username)
    expect(page.get_by_role("heading", name="My day")).to_be_visible(timeout=30_000)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Home").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    won = page.locator('[data-testid="stMetric"]').filter(has_text="Won").first
    expect(won).to_be_visible(timeout=30_000)
    _settle(page)
    assert_no_exception(page)
    return won.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _choose(page, label: str, option: str) -> None:
    """Pick an option of a selectbox, retrying when a rerun swallowed the click."""
    _settle(page)
    box = page.get_by_role("combobox", name=label)
    for _attempt in range(4):
        box.click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=4_000)
        except Exception:
            page.keyboard.press("Escape")
            _settle(page)
            continue
        _settle(page)
        return
    raise AssertionError(f"could not choose {option} for {label}")


def _console_errors(page) -> tuple[list[str], list[str]]:
    """Console errors, and the addresses the server answered 404: Streamlit's page looks for
    its server under a deep link's path first (/pipeline/_stcore/...) and then at the root;
    those probes (and the console lines they cause) are its own, any other 404 is the app's."""
    errors: list[str] = []
    missing: list[str] = []

    def collect(message) -> None:
        if message.type == "error" and not PROBES.search(message.text):
            errors.append(message.text)

    page.on("console", collect)
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    return errors, missing


def test_a_manager_splits_a_deal_and_each_rep_is_credited_with_their_share(page, setup):
    console_errors, missing = _console_errors(page)
    url, deal = setup["url"], setup["deal"]
    ada_share, ben_share = _shares(AMOUNT, [Decimal(60), Decimal(40)])
    assert ada_share + ben_share == AMOUNT

    page.set_viewport_size(DESKTOP)
    assert _won_on_home(page, url, "credit.ada") == money(AMOUNT)  # before: the whole deal
    sign_out(page)
    assert _won_on_home(page, url, "credit.ben") == money(Decimal(0))
    sign_out(page)

    sign_in(page, url, "manager")
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    page.goto(f"{url}/pipeline?deal={deal}")
    expect(page.get_by_role("heading", name="Credit split test deal")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Ada Credit", exact=False).first).to_be_visible(timeout=30_000)
    _settle(page)
    page.get_by_text("✏️ Split the credit").click()
    team = _team(setup)
    share = page.get_by_label(f"Ada Credit ({team}): percent of the credit")
    share.fill("60")
    share.press("Enter")
    _settle(page)
    _choose(page, "Add a person to the split", f"Ben Credit ({team})")
    page.get_by_role("button", name="Add to the split").click()
    ben = page.get_by_label(f"Ben Credit ({team}): percent of the credit")
    expect(ben).to_have_value("40.00", timeout=30_000)
    expect(page.get_by_text("The percentages add up to 100 %.")).to_be_visible()
    _settle(page)
    page.get_by_role("button", name="Save the split").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_have_text(
        "The credit split is saved.", timeout=30_000
    )
    _settle(page)
    code = setup["currency"]
    lines = page.locator('[data-testid="stMarkdownContainer"] li')
    expect(lines.filter(has_text="Ada Credit")).to_contain_text(f"60.00 %, {ada_share:,.2f} {code}")
    expect(lines.filter(has_text="Ben Credit")).to_contain_text(f"40.00 %, {ben_share:,.2f} {code}")
    assert_no_exception(page)
    page.set_viewport_size({"width": 1280, "height": 2600})  # the app scrolls inside: show all
    _settle(page)
    screenshot(page, "credit-split-manager-1280")
    page.set_viewport_size(PHONE)
    _settle(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the deal page scrolls sideways at 390 px ({width} px)"
    page.set_viewport_size({"width": 390, "height": 3600})
    _settle(page)
    screenshot(page, "credit-split-manager-390")
    page.set_viewport_size(DESKTOP)
    _settle(page)
    sign_out(page)

    with setup["factory"]() as session:
        stored = {
            s.person_id: (Decimal(s.percent), Decimal(s.amount))
            for s in session.scalars(select(CreditSplit).where(CreditSplit.deal_id == deal))
        }
        assert session.get(Deal, deal).credit_shared
    assert stored == {
        setup["ada"]: (Decimal("60.00"), ada_share),
        setup["ben"]: (Decimal("40.00"), ben_share),
    }

    assert _won_on_home(page, url, "credit.ada") == money(ada_share)
    sign_out(page)
    assert _won_on_home(page, url, "credit.ben") == money(ben_share)
    # Ben may open the deal his share comes from, and reads its credit without an editor
    page.goto(f"{url}/my_deals?deal={deal}")
    expect(page.get_by_role("heading", name="Credit split test deal")).to_be_visible(timeout=30_000)
    _settle(page)
    expect(lines.filter(has_text="Ben Credit")).to_contain_text(f"{ben_share:,.2f} {code}")
    assert page.get_by_text("✏️ Split the credit").count() == 0
    assert page.get_by_text("✏️ Propose a split").count() == 0
    assert_no_exception(page)
    page.set_viewport_size({"width": 390, "height": 2600})
    _settle(page)
    screenshot(page, "credit-split-credited-rep-390")
    assert not console_errors, console_errors
    assert all(re.search(r"/(pipeline|my_deals)/_stcore/", u) for u in missing), missing


def _team(setup) -> str:
    with setup["factory"]() as session:
        return session.scalar(
            select(Region.name)
            .join(Person, Person.region_id == Region.id)
            .where(Person.id == setup["ben"])
        )
