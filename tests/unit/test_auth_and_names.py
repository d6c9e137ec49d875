import pytest

from core.customers.names import normalize_name
from core.errors import ValidationFailed
from core.org.auth import hash_password, password_matches


def test_passwords_are_stored_as_salted_hashes():
    first, second = hash_password("s3cret!"), hash_password("s3cret!")
    assert first != second, "two hashes of one password differ (salted)"
    assert "s3cret!" not in first and first.startswith("$argon2")
    assert password_matches(first, "s3cret!") and password_matches(second, "s3cret!")


def test_a_wrong_password_or_a_missing_hash_does_not_match():
    assert not password_matches(hash_password("right"), "wrong")
    assert not password_matches(None, "anything")
    assert not password_matches("not-a-hash", "anything")


def test_too_short_passwords_are_refused():
    with pytest.raises(ValidationFailed, match="at least 4"):
        hash_password("abc")


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Müller GmbH", "MULLER"),
        ("Acme, Inc.", "acme"),
        ("  Société   Générale SA ", "societe generale"),
        ("Blue-Wave Ltd", "blue wave"),
    ],
)
def test_names_that_differ_only_in_case_accents_punctuation_or_legal_form_share_a_key(left, right):
    assert normalize_name(left) == normalize_name(right)


def test_different_companies_keep_different_keys():
    assert normalize_name("Nordtech Logistics") != normalize_name("Nordtech Foods")
    assert normalize_name("Ltd") == "ltd", "a name that is only a legal form keeps its text"
