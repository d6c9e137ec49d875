"""`i18n compile|check|update|fill`: keep the Chinese catalogues complete.

    python manage.py i18n compile              # .po -> .mo (the Makefile runs it at install)
    python manage.py i18n check                # messages of the code missing or untranslated
    python manage.py i18n update --area A PATH...  # PATHs' new messages into A.po, untranslated
    python manage.py i18n fill --area A FILE.json  # translations from {"English": "中文"}

The messages are what the code passes to `_()`, `N_()` and `ngettext()` in app.py,
manage.py, pages/, ui/, core/ and cli/. Each area of the app keeps its own catalogue file
(locales/zh_CN/LC_MESSAGES/<area>.po); the app reads them all as one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po, write_po

from core.errors import NotFound
from core.i18n import CHINESE, LOCALES_DIR, _, catalogue_files, compile_catalogues

ROOT = LOCALES_DIR.parent
SOURCES = ("app.py", "manage.py", "pages", "ui", "core", "cli")
"""Where user-facing messages are written."""
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def source_files(paths: Iterable[str] = SOURCES) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = (ROOT / name).resolve()
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return [f for f in files if "__pycache__" not in f.parts]


def messages_of(files: Iterable[Path]) -> dict[str | tuple[str, str], list[str]]:
    """Every message of the files (a plural is its (singular, plural) pair), with where it is."""
    found: dict[str | tuple[str, str], list[str]] = {}
    for path in files:
        relative = str(path.relative_to(ROOT))
        for line, message, _comments, _context in extract_from_file(
            "python", str(path), keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True
        ):
            key = message if isinstance(message, str) else tuple(message[:2])
            if key:
                found.setdefault(key, []).append(f"{relative}:{line}")
    return found


def catalogue_path(area: str, language: str = CHINESE) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{area}.po"


def load(path: Path, language: str = CHINESE) -> Catalog:
    if not path.exists():
        return Catalog(locale=language, project="sales-management", fuzzy=False)
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def save(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=True)


def translated(language: str = CHINESE) -> dict[str | tuple[str, str], bool]:
    """Every message of every catalogue of a language, and whether it has a translation."""
    known: dict[str | tuple[str, str], bool] = {}
    for path in catalogue_files(language):
        for entry in load(path, language):
            if not entry.id:
                continue
            key = entry.id if isinstance(entry.id, str) else tuple(entry.id[:2])
            strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            done = all(strings) and not entry.fuzzy
            known[key] = known.get(key, False) or done
    return known


def problems(language: str = CHINESE) -> list[str]:
    """What keeps a language from being complete: messages of the code missing from its
    catalogues or untranslated, and translations whose placeholders differ from the English."""
    known = translated(language)
    out = []
    for key, places in messages_of(source_files()).items():
        if key not in known:
            out.append(f"missing: {key!r} ({places[0]})")
        elif not known[key]:
            out.append(f"untranslated: {key!r} ({places[0]})")
    for path in catalogue_files(language):
        for entry in load(path, language):
            if not entry.id or not entry.string:
                continue
            ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
            strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            wanted = set(PLACEHOLDER.findall(ids[-1]))
            for string in strings:
                if string and set(PLACEHOLDER.findall(string)) != wanted:
                    out.append(f"placeholders differ in {path.name}: {ids[0]!r} -> {string!r}")
    return out


def areas(language: str = CHINESE) -> list[str]:
    """The areas that have a catalogue (a new area starts as a .po file added by hand)."""
    return [path.stem for path in catalogue_files(language)]


def known_catalogue(area: str) -> Path:
    """The catalogue of an existing area; any other name is refused, so a mistyped area never
    writes a stray file among the catalogues."""
    if area not in areas():
        raise NotFound(
            _("There is no catalogue '{area}'; the areas are: {known}.").format(
                area=area, known=", ".join(areas())
            )
        )
    return catalogue_path(area)


def update(area: str, paths: list[str]) -> int:
    """Adds the messages of `paths` that no catalogue has yet to the area's catalogue."""
    path = known_catalogue(area)
    catalog = load(path)
    known = translated()
    added = 0
    for key in messages_of(source_files(paths)):
        if key in known or key in catalog:
            continue
        catalog.add(key, string=("", "") if isinstance(key, tuple) else "", locations=[])
        added += 1
    save(catalog, path)
    return added


def fill(area: str, translations: dict[str, str | list[str]]) -> int:
    """Sets the translations of an area's catalogue from a {English: Chinese} mapping (a plural's
    key is its singular); messages not yet in the catalogue are added."""
    path = known_catalogue(area)
    catalog = load(path)
    plurals = {e.id[0]: e.id for e in catalog if isinstance(e.id, tuple)}
    for english, chinese in translations.items():
        key = plurals.get(english, english)
        string = tuple(chinese) if isinstance(chinese, list) else chinese
        if isinstance(key, tuple) and isinstance(string, str):
            string = (string,)
        entry = catalog.get(key)
        if entry is None:
            catalog.add(key, string=string)
        else:
            entry.string = string
            entry.flags.discard("fuzzy")
    save(catalog, path)
    return len(translations)


def run(args) -> str:
    if args.action == "compile":
        return f"Compiled {len(compile_catalogues())} catalogues."
    if args.action == "check":
        found = problems()
        return "\n".join(found) if found else "Every message is translated."
    if args.action in ("update", "fill"):
        known_catalogue(args.area)  # before reading any file
    if args.action == "update":
        return f"{update(args.area, args.paths)} new messages added to {args.area}.po."
    if args.action == "fill":
        mapping = json.loads(Path(args.paths[0]).read_text(encoding="utf-8"))
        return f"{fill(args.area, mapping)} translations set in {args.area}.po."
    raise ValueError(args.action)


def register(commands) -> None:
    parser = commands.add_parser("i18n", help="compile and check the translation catalogues")
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("compile", help="compile every .po file to .mo")
    actions.add_parser("check", help="list messages missing or untranslated")
    for name, what in (("update", "source files"), ("fill", "a JSON file {English: Chinese}")):
        action = actions.add_parser(name)
        action.add_argument("--area", required=True, help="the catalogue file (without .po)")
        action.add_argument("paths", nargs="+", help=what)
    parser.set_defaults(run=run)
