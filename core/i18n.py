"""Languages: every user-facing string goes through `_()` and reads in the person's language.

English is the source language: a message is written in English in the code, and its Simplified
Chinese reading lives in the catalogues under locales/zh_CN/LC_MESSAGES/ (one .po file per
area of the app, all merged into one catalogue at run time). The language of the current unit of
work is a context variable: the app sets it for each page run from the person's choice on My
account (or the company default, SALES_DEFAULT_LANGUAGE), the digests set it per recipient.

Rules for writing messages:
- a whole sentence per message, with named placeholders: `_("Won {amount} of {target}.")
  .format(amount=..., target=...)`, never an f-string inside `_()` (it cannot be extracted);
- a constant defined at import time is marked with `N_()` and translated where it is shown,
  `_(LABEL)`, because the language is only known then;
- machine formats (CSV headers, import column names, the CLI's csv/json output, period codes
  such as 2026Q4) are never translated.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import get_currency_name
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
"""Where the catalogues live: locales/<language>/LC_MESSAGES/<area>.po (and the compiled .mo)."""

ENGLISH = "en"
CHINESE = "zh_CN"
LANGUAGES: dict[str, str] = {ENGLISH: "English", CHINESE: "简体中文"}
"""The languages a person can choose, each named in itself."""

_current: ContextVar[str | None] = ContextVar("language", default=None)


def default_language() -> str:
    """The company's language: SALES_DEFAULT_LANGUAGE (en or zh_CN), English when unset."""
    return normalise(os.environ.get("SALES_DEFAULT_LANGUAGE")) or ENGLISH


def normalise(code: str | None) -> str | None:
    """A supported language code from what a person or a setting wrote ("zh", "zh-CN",
    "zh_cn", "en_US"...), or None when it names no supported language."""
    if not code:
        return None
    text = code.strip().replace("-", "_").lower()
    if text.startswith("zh"):
        return CHINESE
    if text.startswith("en"):
        return ENGLISH
    return None


def current_language() -> str:
    """The language of this unit of work: the one set by `use_language`, else the default."""
    return _current.get() or default_language()


def set_language(code: str | None) -> None:
    """Sets the language for the rest of this unit of work (a page run, a CLI command)."""
    _current.set(normalise(code) or default_language())


@contextmanager
def use_language(code: str | None) -> Iterator[str]:
    """Runs a block in a language (a digest for its recipient), then restores the previous one."""
    token = _current.set(normalise(code) or default_language())
    try:
        yield current_language()
    finally:
        _current.reset(token)


def is_chinese() -> bool:
    return current_language() == CHINESE


# --- the catalogues -------------------------------------------------------------------------


def catalogue_files(language: str = CHINESE) -> list[Path]:
    """Every .po file of a language, in a stable order."""
    return sorted((LOCALES_DIR / language / "LC_MESSAGES").glob("*.po"))


def compile_catalogues() -> list[Path]:
    """Writes each .po file's compiled .mo beside it (run at install by the Makefile)."""
    written = []
    for language in LANGUAGES:
        for po_path in catalogue_files(language):
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=language)
            mo_path = po_path.with_suffix(".mo")
            with mo_path.open("wb") as handle:
                write_mo(handle, catalog)
            written.append(mo_path)
    _translations.cache_clear()
    return written


def _compiled(po_path: Path) -> Translations:
    """The .mo beside a .po when it is up to date; otherwise the .po compiled in memory, so a
    fresh checkout or an edited catalogue reads right before `make` compiles it."""
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        with mo_path.open("rb") as handle:
            return Translations(handle)
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=po_path.parent.parent.name)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


@lru_cache(maxsize=4)
def _translations(language: str) -> Translations | None:
    files = catalogue_files(language)
    if not files:
        return None
    merged = _compiled(files[0])
    for po_path in files[1:]:
        merged.merge(_compiled(po_path))
    return merged


def reload_catalogues() -> None:
    """Forgets the loaded catalogues (after an edit of a .po file)."""
    _translations.cache_clear()


def _(message: str) -> str:
    """The message in the current language (the English text when it has no translation)."""
    language = current_language()
    if language == ENGLISH or not message:
        return message
    catalog = _translations(language)
    return catalog.gettext(message) if catalog is not None else message


gettext = _


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for a count, in the current language."""
    language = current_language()
    if language == ENGLISH:
        return singular if count == 1 else plural
    catalog = _translations(language)
    if catalog is None:
        return singular if count == 1 else plural
    return catalog.ngettext(singular, plural, count)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Marks a message for extraction without translating it (a constant defined at import
    time); translate it with `_()` where it is shown."""
    return message


# --- numbers, dates, periods in the current language ---------------------------------------


def babel_locale() -> Locale:
    """Babel's locale for the current language (English formats as en_US)."""
    return _locale("zh_CN" if is_chinese() else "en_US")


@lru_cache(maxsize=4)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def currency_name(code: str) -> str:
    """A currency's name in the current language ("Euro", "欧元"); the code when unknown."""
    return _currency_name(code, "zh_CN" if is_chinese() else "en_US")


@lru_cache(maxsize=2048)
def _currency_name(code: str, locale: str) -> str:
    try:
        return get_currency_name(code, locale=_locale(locale))
    except (KeyError, ValueError, LookupError):
        return code


def number(value: Decimal | float | int, decimals: int = 0) -> str:
    """A number with the locale's grouping and exactly `decimals` decimals."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return _babel_decimal(value, format=pattern, locale=babel_locale(), decimal_quantization=True)


def day(value: date | datetime) -> str:
    """A date as people write it: 2026-12-01 in English, 2026年12月1日 in Chinese."""
    if isinstance(value, datetime):
        value = value.date()
    if is_chinese():
        return _babel_date(value, format="long", locale=babel_locale())
    return value.isoformat()


def month_label(value: date) -> str:
    """A month as a table row names it: "Oct 2026" in English, "2026年10月" in Chinese."""
    if is_chinese():
        return _("{year}-{month}").format(year=value.year, month=value.month)
    return value.strftime("%b %Y")


def period_name(label: str) -> str:
    """A period code (FY2026, 2026Q4, 2026-03, 2026-W48) as it reads in the current language:
    "2026年第4季度", "2026财年", "2026年3月", "2026年第48周". English keeps the code, which is
    also what people type; an unknown text is returned as is."""
    if not is_chinese():
        return label
    if match := re.fullmatch(r"FY(\d{4})", label):
        return _("FY{year}").format(year=match[1])
    if match := re.fullmatch(r"(\d{4})Q([1-4])", label):
        return _("{year} Q{quarter}").format(year=match[1], quarter=match[2])
    if match := re.fullmatch(r"(\d{4})-(\d{2})", label):
        return _("{year}-{month}").format(year=match[1], month=int(match[2]))
    if match := re.fullmatch(r"(\d{4})-W(\d{2})", label):
        return _("{year} week {week}").format(year=match[1], week=int(match[2]))
    return label


def read_catalogue(po_path: Path):
    """The parsed catalogue of one .po file (for the completeness checks)."""
    with po_path.open("rb") as handle:
        return read_po(handle, locale=po_path.parent.parent.name)


def read_compiled(mo_path: Path):
    with mo_path.open("rb") as handle:
        return read_mo(handle)
