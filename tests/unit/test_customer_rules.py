"""Pure customer rules: name keys, input validation and the page's display helpers."""

from datetime import datetime
from decimal import Decimal

import pandas as pd
import pytest
from pydantic import ValidationError

from core.customers.archive import CustomerFilters, can_edit, can_reassign
from core.customers.duplicates import DuplicateCandidate, LikelyDuplicate
from core.customers.editing import ContactInput, CustomerInput
from core.customers.names import normalize_name
from core.models import Actor, Role
from ui.customer_views import duplicates_table, input_errors, timeline_table

MANAGER = Actor(
    id=3, name="Mia", username="m", role=Role.MANAGER, scope_region_ids=frozenset({10, 11})
)
REP = Actor(id=4, name="Ron", username="r", role=Role.REP, scope_region_ids=frozenset({11}))
DIRECTOR = Actor(id=1, name="Dana", username="d", role=Role.DIRECTOR)


def _candidate(**over):
    base = dict(
        id=1, name="Acme", region="A", owner="Ron", similarity=1.0, same_region=True, exact=True
    )
    return DuplicateCandidate(**{**base, **over})


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Müller GmbH", "muller"),
        ("  ACME, Inc. ", "acme"),
        ("Société Générale SA", "societe generale"),
        ("Co", "co"),  # only a legal form: kept rather than emptied
    ],
)
def test_names_fold_to_one_key(typed, key):
    assert normalize_name(typed) == key


def test_who_edits_and_who_reassigns():
    assert can_edit(REP, owner_id=4, region_id=99)
    assert not can_edit(REP, owner_id=5, region_id=11)
    assert can_edit(MANAGER, owner_id=5, region_id=10)
    assert not can_edit(MANAGER, owner_id=5, region_id=12)
    assert can_edit(DIRECTOR, owner_id=None, region_id=None)
    assert [can_reassign(a) for a in (REP, MANAGER, DIRECTOR)] == [False, True, True]
    gone = MANAGER.model_copy(update={"active": False})
    assert not can_reassign(gone) and not can_edit(gone, owner_id=3, region_id=10)


def test_customer_input_blanks_become_empty_and_money_stays_decimal():
    data = CustomerInput(name=" Acme ", region_id=1, industry="  ", annual_potential="12.50")
    assert (data.name, data.industry, data.annual_potential) == ("Acme", None, Decimal("12.50"))
    with pytest.raises(ValidationError, match="letter or digit"):
        CustomerInput(name="!!!", region_id=1)
    with pytest.raises(ValidationError):
        CustomerInput(name="Acme", region_id=1, colour="red")
    with pytest.raises(ValidationError, match="inactive_days"):
        CustomerFilters(inactive_days=0)


@pytest.mark.parametrize("phone", ["+49 30 1234567", "(212) 555-0100", "030/123456"])
def test_common_phone_formats_are_accepted(phone):
    assert ContactInput(name="A", phone=phone).phone == phone


def test_form_errors_name_the_field_as_on_the_form():
    with pytest.raises(ValidationError) as caught:
        ContactInput(name="", email="x", phone="abc")
    text = input_errors(caught.value)
    assert "nothing was saved" in text
    for label in ("**Name**", "**Email**: enter an email address", "**Phone**"):
        assert label in text


def test_a_blocking_duplicate_says_open_the_existing_one():
    blocking = LikelyDuplicate([_candidate()])
    assert blocking.blocking and "Open that customer instead" in str(blocking)
    similar = LikelyDuplicate([_candidate(exact=False, same_region=False, similarity=0.9)])
    assert not similar.blocking and "Confirm that it is a different customer" in str(similar)
    table = duplicates_table(
        [_candidate(), _candidate(id=2, exact=False, same_region=False, similarity=0.912)]
    )
    assert list(table["Why"]) == ["same name, same region", "very similar name"]
    assert list(table["Similarity"]) == ["100%", "91%"]


def test_timeline_shows_times_only_where_known():
    frame = pd.DataFrame(
        {
            "when": [datetime(2026, 3, 1, 14, 5), datetime(2026, 2, 1)],
            "kind": ["Record", "Deal"],
            "what": ["x", "y"],
            "amount": [None, Decimal(5)],
            "who": ["a", "b"],
        }
    )
    assert list(timeline_table(frame, "USD")["when"]) == ["2026-03-01 14:05", "2026-02-01"]
