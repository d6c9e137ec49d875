"""The normalised name key: how customer names are compared, searched and deduplicated.

Names are kept exactly as entered; the key folds what does not tell two companies apart, in any
script: width and compatibility forms (NFKC), case, accents of the scripts that carry them
(Latin, Greek), punctuation, spacing and the legal form. "Müller GmbH" and "MULLER" share one
key, so do "北京华为技术有限公司" and "北京华为技术"; Chinese, Japanese, Korean, Arabic and
Cyrillic letters are kept as they are.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import and_

from core.i18n import _

_LATIN_LEGAL_FORMS = frozenset(
    {
        *("inc", "incorporated", "ltd", "limited", "llc", "llp", "gmbh", "ag", "kg", "sa"),
        *("sas", "sarl", "srl", "spa", "bv", "nv", "plc", "co", "corp", "corporation"),
        *("company", "kk", "pty", "oy", "ab", "as"),
    }
)
_CYRILLIC_LEGAL_FORMS = frozenset(["ооо", "оао", "зао", "пао", "ао", "ип", "тоо"])
"""Russian forms are written before the name ("ООО Ромашка") as often as after it."""

_ATTACHED_LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "有限公司",
    "股份公司",
    "集团",
    "集團",
    "公司",
    "株式会社",
    "株式會社",
    "有限会社",
    "合同会社",
    "주식회사",
    "유한회사",
)
_ABBREVIATED_FORMS = {"(株)": " 株式会社 ", "(有)": " 有限会社 ", "(주)": " 주식회사 "}
"""㈱ and its kin, which NFKC spells "(株)"."""
"""Chinese, Japanese and Korean forms, written without a space before or after the name."""

_DOTTED_ABBREVIATION = re.compile(r"\b(?:\w\.){2,}")
_MARKS_DROPPED_AFTER = ("LATIN", "GREEK")
"""Scripts whose accents are optional on a company name: é, ü, ά fold to e, u, α. Elsewhere a
mark is part of the letter (が is not か, й is not и) and is kept."""
_ARABIC_OPTIONAL = re.compile("[\u064b-\u065f\u0670\u0640]")
"""Arabic short-vowel signs and the elongation stroke, which are optional in writing."""


def _fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept: list[str] = []
    base_script = ""
    for char in decomposed:
        if unicodedata.combining(char):
            if base_script in _MARKS_DROPPED_AFTER:
                continue
        else:
            base_script = unicodedata.name(char, "").split(" ", 1)[0]
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _strip_attached(text: str) -> str:
    """Chinese, Japanese and Korean legal forms at the start or the end of the name."""
    changed = True
    while changed and text not in _ATTACHED_LEGAL_FORMS:
        changed = False
        for form in _ATTACHED_LEGAL_FORMS:
            if text.endswith(form) and len(text) > len(form):
                text, changed = text[: -len(form)].rstrip(), True
            elif text.startswith(form) and len(text) > len(form):
                text, changed = text[len(form) :].lstrip(), True
    return text


def _strip_words(words: list[str]) -> list[str]:
    """Western and Cyrillic legal forms at the end, Cyrillic ones also at the start."""
    while len(words) > 1 and (
        words[-1] in _LATIN_LEGAL_FORMS or words[-1] in _CYRILLIC_LEGAL_FORMS
    ):
        words = words[:-1]
    while len(words) > 1 and words[0] in _CYRILLIC_LEGAL_FORMS:
        words = words[1:]
    return words


def _words(text: str) -> list[str]:
    """Letters, digits and marks in runs; anything else separates words."""
    cleaned = "".join(ch if unicodedata.category(ch)[0] in "LNM" else " " for ch in text)
    return cleaned.split()


def _folded_words(name: str) -> list[str]:
    text = unicodedata.normalize("NFKC", name).casefold()
    for short, form in _ABBREVIATED_FORMS.items():
        text = text.replace(short, form)
    text = _fold_accents(text)
    text = _ARABIC_OPTIONAL.sub("", text)
    text = _DOTTED_ABBREVIATION.sub(lambda m: m.group(0).replace(".", ""), text)
    return _words(text)


def _without_legal_form(words: list[str]) -> list[str]:
    stripped = _strip_words(_words(_strip_attached(" ".join(words))))
    while stripped != words:  # "华为集团 Ltd": one form may hide another
        words = stripped
        stripped = _strip_words(_words(_strip_attached(" ".join(words))))
    return words


def normalize_name(name: str) -> str:
    """The key duplicates are found by: NFKC, case folded, accents of Latin and Greek dropped,
    punctuation removed, spaces collapsed, legal form (Ltd, GmbH, 有限公司, 株式会社, ООО...)
    dropped. A name that is only a legal form keeps its text as key ("Ltd" -> "ltd")."""
    return " ".join(_without_legal_form(_folded_words(name)))


def _is_legal_form(word: str) -> bool:
    return (
        word in _LATIN_LEGAL_FORMS
        or word in _CYRILLIC_LEGAL_FORMS
        or _strip_attached("x" + word) == "x"  # "集团有限公司"
    )


def name_problem(name: str) -> str | None:
    """Why this name cannot be a customer's (no letters, or only a legal form), else None."""
    words = _without_legal_form(_folded_words(name))
    if not words:
        return _("the name needs at least one letter or digit")
    if all(_is_legal_form(w) for w in words):
        return _("the name is only a legal form (such as Ltd or 有限公司); give the company's name")
    return None


_LAST_CHARACTER = "\U0010ffff"


def starts_with(column, prefix: str):
    """Names starting with `prefix`. A half-open range uses the plain index on normalized_name
    (binary order on SQLite); the LIKE keeps it exact under any PostgreSQL collation. Keys hold
    only letters, digits, marks and spaces, so `prefix` has no LIKE wildcards."""
    return and_(column >= prefix, column < prefix + _LAST_CHARACTER, column.like(prefix + "%"))


_UNSPACED_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "THAI", "LAO", "KHMER", "MYANMAR")


def written_without_spaces(key: str) -> bool:
    """Whether the key holds letters of scripts whose names are written without word spaces."""
    return any(
        unicodedata.name(ch, "").startswith(_UNSPACED_SCRIPTS) for ch in key if not ch.isascii()
    )


def bigrams(key: str) -> set[str]:
    """Character pairs of each word of the key (a one-letter word stands for itself)."""
    pairs: set[str] = set()
    for word in key.split():
        if len(word) == 1:
            pairs.add(word)
        pairs.update(word[i : i + 2] for i in range(len(word) - 1))
    return pairs


def bigram_similarity(left: str, right: str) -> float:
    """Dice coefficient of the two keys' character pairs: 1.0 same pairs, 0.0 none shared."""
    a, b = bigrams(left), bigrams(right)
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))
