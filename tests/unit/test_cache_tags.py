"""Every import kind says which cached readers it changes, with tags the caches know."""

from core.transfer import Kind
from ui.cache_tags import AFFECTS
from ui.data import TAGS


def test_every_import_kind_names_the_caches_it_changes():
    assert set(AFFECTS) == set(Kind)
    for kind, tags in AFFECTS.items():
        assert tags and tags <= TAGS, kind
