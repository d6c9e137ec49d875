"""Which character encoding and which delimiter a text file was saved with.

Rules:
- A byte-order mark decides: UTF-8 (Excel's "CSV UTF-8"), UTF-16 (Excel's "Unicode text",
  tab-separated) or UTF-32. UTF-16 without a mark is known by its zero bytes.
- Text that is valid UTF-8 is UTF-8.
- Otherwise the file is read as GB18030 (a superset of GBK and GB2312, what a Chinese Excel
  saves), Shift-JIS (Windows code page 932, a Japanese Excel) or Windows-1252 (Western Europe
  and the Americas), whichever reads its non-ASCII bytes as the characters those systems
  write; charset-normalizer decides between the others when none of these fits.
- The delimiter is a comma, a semicolon (spreadsheets of decimal-comma countries) or a tab:
  the one that splits the first lines into the same number of columns, more than one.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable

from core.i18n import N_, _

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"

BOMS = (
    (b"\xef\xbb\xbf", UTF8_BOM),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)

LABELS = {
    UTF8: "UTF-8",
    UTF8_BOM: N_("UTF-8 with byte-order mark"),
    "utf-16": "UTF-16",
    "utf-16-le": N_("UTF-16 (little-endian, no byte-order mark)"),
    "utf-16-be": N_("UTF-16 (big-endian, no byte-order mark)"),
    "utf-32": "UTF-32",
    "gb18030": "GB18030 (GBK)",
    "cp932": "Shift-JIS",
    "cp1252": "Windows-1252",
}

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


def encoding_label(encoding: str) -> str:
    """The encoding as the preview names it."""
    return _(LABELS[encoding]) if encoding in LABELS else encoding


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _in_jis(char: str) -> bool:
    # JIS X 0208 (EUC-JP) holds the kana and kanji a Japanese file writes; half-width
    # katakana are legal in Shift-JIS but what Chinese bytes turn into when misread
    if "\uff61" <= char <= "\uff9f":
        return False
    try:
        char.encode("euc_jp")
    except UnicodeEncodeError:
        return False
    return True


_WESTERN_PUNCTUATION = set("–—‘’‚“”„•…€£©®°·»«™§")


def _in_western(char: str) -> bool:
    if char in _WESTERN_PUNCTUATION or char == "\u00a0":
        return True
    return unicodedata.category(char).startswith("L") and "LATIN" in unicodedata.name(char, "")


CANDIDATES: tuple[tuple[str, Callable[[str], bool], int], ...] = (
    # encoding, whether a decoded character is one its users write, bytes per such character
    ("gb18030", _in_gb2312, 2),
    ("cp932", _in_jis, 2),
    ("cp1252", _in_western, 1),
)


def _plausibility(sample: bytes, encoding: str, plausible: Callable[[str], bool]) -> float:
    """The share of the sample's non-ASCII bytes that decode to characters users write."""
    try:
        text = sample.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # only a character cut at the sample's end is allowed
            return -1.0
        text = sample[: exc.start].decode(encoding)
    high = sum(1 for byte in sample if byte >= 0x80) or 1
    good = sum(len(c.encode(encoding)) for c in text if ord(c) >= 0x80 and plausible(c))
    return good / high


def _utf16_without_bom(sample: bytes) -> str | None:
    even, odd = sample[0::2], sample[1::2]
    if len(sample) >= 4 and odd.count(0) > 0.3 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if len(sample) >= 4 and even.count(0) > 0.3 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def detect_encoding(sample: bytes) -> str:
    """The encoding of a text file from its first bytes (a sample of 64 KiB is plenty; a
    character cut at the sample's end is allowed). Returns a Python codec name:
    utf-8-sig, utf-8, utf-16, utf-16-le, utf-16-be, utf-32, gb18030, cp932, cp1252 or another
    one charset-normalizer found."""
    for mark, encoding in BOMS:
        if sample.startswith(mark):
            return encoding
    if found := _utf16_without_bom(sample):
        return found
    try:
        sample.decode(UTF8)
        return UTF8
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data":
            return UTF8
    scores = [
        (_plausibility(sample, encoding, plausible), -rank, encoding)
        for rank, (encoding, plausible, _width) in enumerate(CANDIDATES)
    ]
    best = max(scores)
    if best[0] >= 0.6:
        return best[2]
    from charset_normalizer import from_bytes

    guess = from_bytes(sample).best()
    if guess is not None:
        return str(guess.encoding)
    return best[2] if best[0] >= 0 else "cp1252"


def detect_delimiter(text_sample: str) -> str:
    """The delimiter of a CSV file from its first lines: comma, semicolon or tab (comma when
    the file has a single column)."""
    lines = text_sample.splitlines()[:50]
    if len(text_sample) >= 1000 and len(lines) > 1:
        lines = lines[:-1]  # the sample may end in the middle of a line
    text = "\n".join(lines)
    best, best_score = ",", 0.0
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        same = sum(1 for r in rows if len(r) == width) / len(rows)
        score = same * 1000 + width
        if score > best_score:
            best, best_score = delimiter, score
    return best
