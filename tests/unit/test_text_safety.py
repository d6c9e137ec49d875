"""db.text_safety: NUL characters are dropped from every shape of statement parameters."""

from db.text_safety import drop_nul_characters


def _params(parameters, executemany=False):
    return drop_nul_characters(None, None, "SQL", parameters, None, executemany)[1]


def test_nul_is_dropped_from_dicts_tuples_and_batches_and_other_values_are_kept():
    assert _params({"name": "a\x00b", "amount": 5}) == {"name": "ab", "amount": 5}
    assert _params(("a\x00b", None, 1.5)) == ("ab", None, 1.5)
    batch = [{"name": "x"}, {"name": "\x00y\x00"}]
    assert _params(batch, executemany=True) == [{"name": "x"}, {"name": "y"}]
    assert _params([("a\x00",), ("b",)], executemany=True) == [("a",), ("b",)]


def test_parameters_without_nul_are_passed_through_uncopied():
    rows = [("plain", 1)] * 1000
    assert _params(rows, executemany=True) is rows
    single = {"name": "plain"}
    assert _params(single) is single
    assert _params(None) is None
