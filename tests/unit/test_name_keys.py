"""Customer name keys in every script: what folds to one key, what stays apart, and which
names are refused. Property tests render generated names in several scripts many ways."""

from __future__ import annotations

import importlib.util
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from core.customers.duplicates import BIGRAM_THRESHOLD, similarity
from core.customers.editing import CustomerInput, CustomerUpdate
from core.customers.names import name_problem, normalize_name

MIGRATION = Path(__file__).resolve().parents[2] / "db/migrations/versions/0010_unicode_name_keys.py"


def _migration():
    spec = importlib.util.spec_from_file_location("unicode_name_keys", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- examples -----------------------------------------------------------------------------


def test_a_chinese_company_name_is_accepted_and_keeps_its_letters():
    entered = CustomerInput(name="上海华为技术有限公司", region_id=1)
    assert entered.name == "上海华为技术有限公司"
    assert normalize_name("上海华为技术有限公司") == "上海华为技术"


def test_two_chinese_names_no_longer_share_an_empty_key():
    first, second = normalize_name("北京华为技术有限公司"), normalize_name("深圳腾讯科技")
    assert first == "北京华为技术" and second == "深圳腾讯科技"


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("北京华为技术有限公司", "北京华为技术"),
        ("华为技术股份有限公司", "华为技术"),
        ("华为投资控股有限责任公司", "华为投资控股"),
        ("华为集团", "华为"),
        ("トヨタ自動車株式会社", "株式会社トヨタ自動車"),
        ("㈱トヨタ", "トヨタ"),
        ("주식회사 카카오", "카카오 주식회사"),
        ("ООО «Ромашка»", "Ромашка"),
        ("ЗАО Ромашка", "РОМАШКА ОАО"),
        ("مُحَمَّد للتجارة", "محمد للتجارة"),
        ("ΟΔΌΣ Α.Ε.", "οδος αε"),
        ("Ｓｏｎｙ", "sony"),
        ("Huawei Technologies Co., Ltd.", "huawei technologies"),
        ("Nestlé S.A.", "NESTLE"),
        ("Müller GmbH", "MULLER"),
    ],
)
def test_names_differing_only_in_form_share_a_key(left, right):
    assert normalize_name(left) == normalize_name(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("北京华为技术", "深圳腾讯科技"),
        ("がくせい", "かくせい"),  # the voicing mark makes another word
        ("Мой дом", "Мои дом"),  # й is its own letter, not и with an accent
        ("삼성전자", "삼성전기"),
        ("华为", "華為"),  # simplified and traditional are written differently: kept apart
        ("Limited Editions", "Editions"),  # a legal form's word inside the name stays
    ],
)
def test_different_names_keep_different_keys(left, right):
    assert normalize_name(left) != normalize_name(right)


@pytest.mark.parametrize(
    "name", ["有限公司", "股份有限公司", "Ltd.", "GmbH", "Co., Ltd.", "ООО", "(株)"]
)
def test_a_name_that_is_only_a_legal_form_is_refused(name):
    with pytest.raises(ValidationError, match="only a legal form"):
        CustomerInput(name=name, region_id=1)
    with pytest.raises(ValidationError, match="only a legal form"):
        CustomerUpdate(name=name)


@pytest.mark.parametrize("name", ["...", "—", "「」", "--"])
def test_a_name_of_punctuation_only_is_refused(name):
    with pytest.raises(ValidationError, match="at least one letter or digit"):
        CustomerInput(name=name, region_id=1)


def test_names_written_without_spaces_are_compared_by_character_pairs():
    # 北京华为技术 has the pairs 北京 京华 华为 为技 技术; 北京华为 has 北京 京华 华为:
    # 2 * 3 shared / (5 + 3) = 0.75, over the threshold. 深圳腾讯科技 shares none.
    assert similarity(normalize_name("北京华为技术有限公司"), normalize_name("北京华为")) == 0.75
    assert BIGRAM_THRESHOLD <= 0.75
    assert similarity(normalize_name("北京华为技术有限公司"), normalize_name("深圳腾讯科技")) == 0


# --- properties ---------------------------------------------------------------------------

ALPHABETS = {
    "latin": "abcdefghijklmnopqrstuvwxyz0123456789",
    "greek": "αβγδεζηθικλμνξοπρστυφχψω",
    "cyrillic": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "han": "北京上海深圳华为腾讯科技电子网络信息软件数据银行能源汽车医药食品",
    "kana": "かきくけこがぎぐげごさしすせそたちつてとアイウエオカキクケコガギグゲゴ",
    "hangul": "가나다라마바아자차카타파하삼성전현대기업",
    "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
}
LEGAL_WORDS = {
    *("inc", "incorporated", "ltd", "limited", "llc", "llp", "gmbh", "ag", "kg", "sa", "sas"),
    *("sarl", "srl", "spa", "bv", "nv", "plc", "co", "corp", "corporation", "company", "kk"),
    *("pty", "oy", "ab", "as", "ооо", "оао", "зао", "пао", "ао", "ип", "тоо"),
}
"""Words that are a legal form where they end a name (and Cyrillic ones where they begin it)."""
SUFFIXES = [
    " Ltd",
    " GmbH",
    ", Inc.",
    " S.A.",
    " Co., Ltd.",
    "有限公司",
    "股份有限公司",
    " 有限责任公司",
    "集团",
    "株式会社",
    " 주식회사",
    " ООО",
]
PREFIXES = ["ООО ", "株式会社", "주식회사 ", "(株)"]
SEPARATORS = [" ", "  ", " - ", ", ", " & ", " / ", "\u3000", " · "]
ACCENTS = ["\u0301", "\u0300", "\u0308", "\u0302", "\u0303", "\u030c"]


@st.composite
def words(draw):
    script = draw(st.sampled_from(sorted(ALPHABETS)))
    return draw(st.text(alphabet=ALPHABETS[script], min_size=1, max_size=6))


bases = st.lists(words(), min_size=1, max_size=3).filter(
    lambda ws: ws[-1] not in LEGAL_WORDS and ws[0] not in LEGAL_WORDS
)
"""A name as its words: lower case, no accents, no punctuation, no legal form."""


@st.composite
def written(draw, base: list[str]) -> str:
    """One way a person may write the name `base`: case, accents on Latin and Greek letters,
    full-width Latin, any separators, quotes, a legal form before or after."""
    out = []
    for word in base:
        chars = []
        for char in word:
            script = unicodedata.name(char).split()[0]
            if script in ("LATIN", "GREEK", "CYRILLIC") and draw(st.booleans()):
                char = char.upper()
            if script in ("LATIN", "GREEK") and char.isalpha() and draw(st.booleans()):
                char = unicodedata.normalize("NFC", char + draw(st.sampled_from(ACCENTS)))
            if script in ("LATIN", "DIGIT") and char.isascii() and draw(st.booleans()):
                char = chr(ord(char) + 0xFEE0)  # full-width form
            chars.append(char)
        out.append("".join(chars))
    text = out[0]
    for word in out[1:]:
        text += draw(st.sampled_from(SEPARATORS)) + word
    if draw(st.booleans()):
        text = draw(st.sampled_from(["«{}»", "“{}”", '"{}"', "「{}」", " {} ", "{}."])).format(text)
    if draw(st.booleans()):
        text += draw(st.sampled_from(SUFFIXES))
    elif draw(st.booleans()):
        text = draw(st.sampled_from(PREFIXES)) + text
    return text


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_every_way_of_writing_a_name_gives_its_one_key(data):
    base = data.draw(bases)
    first, second = data.draw(written(base)), data.draw(written(base))
    assert normalize_name(first) == normalize_name(second) == " ".join(base)
    assert name_problem(first) is None


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_two_different_names_never_share_a_key(data):
    left, right = data.draw(bases), data.draw(bases)
    written_left, written_right = data.draw(written(left)), data.draw(written(right))
    same_key = normalize_name(written_left) == normalize_name(written_right)
    assert same_key == (left == right)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_the_migration_computes_the_key_of_this_revision(data):
    migration = _migration()
    name = data.draw(written(data.draw(bases)))
    assert migration.name_key(name) == normalize_name(name)
