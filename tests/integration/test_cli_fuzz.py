"""Every manage.py command fuzzed over its arguments, like the forms: whatever a person types,
the command does its work (exit 0) or says in a line what is wrong (exit 1 for a refused
request, 2 for a malformed command line or an unreachable database), never a traceback.

The commands run in this process against a throw-away database per backend, seeded with the
small demo data; `restore` and `seed --reset` replace the database and have targeted tests in
test_cli.py instead. Files named on the command line live in a temporary folder.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import manage
from core.demo import seed as demo
from db.config import get_settings
from db.engine import make_engine, migrate
from tests.conftest import SEED_TODAY
from tests.hostile import DATES, NUMBERS, hostile_text
from tests.support import fresh_postgres, skip_or_fail

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NOT_FUZZED = {("restore",)}
"""Commands that replace the whole database (covered by targeted tests)."""
NOT_FUZZED_OPTIONS = {("seed",): {"--reset"}}
YEAR = SEED_TODAY.year
PERIODS = [f"FY{YEAR}", f"FY{YEAR - 1}", f"{YEAR}Q2", f"{YEAR - 1}-11", "FY1", "FY9999", "2026Q5"]
AMOUNTS = ["12000000", "0", "2.5", "-3", "1e6", "12,000", "99999999999999999999"]
PLAUSIBLE = {
    "period": PERIODS,
    "year": [str(YEAR), str(YEAR + 1), str(YEAR - 2), "1899", "3000", "2147483648", "FY2026"],
    "version": ["1", "2", "0", "-1", "99999999999"],
    "by": ["company", "region", "rep"],
    "target": AMOUNTS,
    "padding": AMOUNTS,
    "login": ["admin", "director", "lead.1", "admin@example.com", "ghost"],
    "region": ["Company", "US East", "UK & Ireland", "Atlantis"],
    "email": ["fuzz@example.com", "admin@example.com", "not-an-email"],
    "name": ["Fuzz Person", "北京 Zhang"],
    "username": ["fuzz.person", "admin"],
    "email_domain": ["example.com", "@@"],
    "preset": ["ghost", "fuzz"],
    "save_preset": ["fuzz"],
    "map": ["name=name", "Account=name", "x=", "nonsense"],
    "stage_map": ["Won=Won", "Prospecting=Qualify", "x=Nowhere"],
    "value_map": ["product:GTXPro=GTX Pro", "stage:x=y", "nocolon=1"],
    "default": ["role=manager", "region=Company", "x=1"],
    "password": ["fuzz-password-1", "x"],
    "seed": ["1", "42", "-1"],
}
"""Values that get past the first checks (by option), so the fuzzing reaches the services."""


def _leaf_commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(path, parser) of every runnable sub-command, e.g. (("plan", "create"), parser)."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        yield path, parser
        return
    for name, child in subparsers[0].choices.items():
        yield from _leaf_commands(child, (*path, name))


COMMANDS = {path: p for path, p in _leaf_commands(manage.build_parser()) if path not in NOT_FUZZED}


@pytest.fixture(autouse=True, scope="module")
def catalogues_of_its_own(tmp_path_factory):
    """`i18n update|fill|compile` write catalogues: here into a copy, never the project's."""
    import shutil

    import cli.translations
    import core.i18n

    copy = tmp_path_factory.mktemp("locales") / "locales"
    shutil.copytree(core.i18n.LOCALES_DIR, copy)
    patch = pytest.MonkeyPatch()
    for module in (core.i18n, cli.translations):
        patch.setattr(module, "LOCALES_DIR", copy)
    yield copy
    patch.undo()


@pytest.fixture(scope="module")
def fuzz_db(backend, tmp_path_factory) -> str:
    """A throw-away database (never the shared test database) with the small demo data."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
        engine = make_engine(url)
    else:
        base = os.environ.get("TEST_DATABASE_URL")
        if not base:
            skip_or_fail("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
        engine = fresh_postgres(base, "cli_fuzz")
        url = engine.url.render_as_string(hide_password=False)
    migrate(engine)
    demo.seed(engine, scale="small", seed=5, today=SEED_TODAY)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, list[str]]:
    """Files to import (good, hostile, empty, binary, missing, a folder) and places to write."""
    folder = tmp_path_factory.mktemp("fuzz_files")
    contents = {
        "empty.csv": b"",
        "header.csv": b"name,region\n",
        "customers.csv": b"name,region,owner\nFuzz Trading,Company,admin\n",
        "hostile.csv": "name,region\n=1+1,'; DROP TABLE deal; --\n\u202eevil,北京\n".encode(),
        "binary.xlsx": bytes(range(256)) * 4,
        "latin1.csv": "name\nSoci\xe9t\xe9\n".encode("latin-1"),
    }
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    (folder / "a-folder").mkdir()
    read = [str(folder / name) for name in contents] + [
        str(folder / "a-folder"),
        str(folder / "missing.csv"),
    ]
    write = [
        str(folder / "out.csv"),
        str(folder / "out.xlsx"),
        str(folder / "out.db"),
        str(folder / "no-such-folder" / "out.csv"),
        str(folder / "a-folder"),
    ]
    return {"read": read, "write": write, "folder": [str(folder)]}


def _value(action: argparse.Action, files: dict[str, list[str]]) -> st.SearchStrategy[str]:
    """Mostly values of the right shape (a choice, a number, a date, a period...), sometimes
    hostile text, numbers and dates."""
    if action.dest == "out":
        safe_name = st.text(min_size=1, max_size=20).filter(
            lambda n: "/" not in n and "\x00" not in n and n not in (".", "..")
        )
        return st.one_of(
            st.sampled_from(files["write"]),
            safe_name.map(lambda n: str(Path(files["folder"][0]) / n)),
        )
    if action.dest == "file":
        return st.sampled_from(files["read"])
    hostile = st.one_of(
        hostile_text,
        st.sampled_from(NUMBERS + DATES),
        st.integers(min_value=-(10**12), max_value=10**12).map(str),
        st.dates().map(lambda d: d.isoformat()),
    )
    if action.choices:
        plausible: st.SearchStrategy[str] = st.sampled_from(sorted(action.choices))
    elif action.type is int:
        plausible = st.one_of(st.integers(YEAR - 3, YEAR + 3), st.integers(-(10**20), 10**20)).map(
            str
        )
    elif action.type == date.fromisoformat:
        plausible = st.one_of(
            st.dates(SEED_TODAY - timedelta(days=800), SEED_TODAY + timedelta(days=400)),
            st.dates(),
        ).map(lambda d: d.isoformat())
    elif action.dest in PLAUSIBLE:
        plausible = st.sampled_from(PLAUSIBLE[action.dest])
    else:
        plausible = hostile
    return st.integers(0, 9).flatmap(lambda i: plausible if i < 8 else hostile)


@st.composite
def _arguments(draw, path: tuple[str, ...], files: dict[str, list[str]]) -> list[str]:
    parser = COMMANDS[path]
    skip = NOT_FUZZED_OPTIONS.get(path, set())
    argv = list(path)
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or skip & set(action.option_strings):
            continue
        if not action.option_strings:  # a positional: almost always given
            if draw(st.integers(0, 9)) > 0:
                argv.append(draw(_value(action, files)))
            continue
        flag = action.option_strings[-1]
        if action.nargs == 0:
            if draw(st.booleans()):
                argv.append(flag)
            continue
        times = 1 if action.required and draw(st.integers(0, 9)) > 0 else draw(st.integers(0, 2))
        for _ in range(times):
            argv += [flag, draw(_value(action, files))]
    if draw(st.integers(0, 9)) == 0:
        argv.append(draw(st.sampled_from(["--nope", "extra", "-x", "--"])))
    return argv


def _run(url: str, argv: list[str]) -> tuple[int, str]:
    """main() as `python manage.py ARGV` runs it; an exception escaping it fails the test."""
    out, err = io.StringIO(), io.StringIO()
    before = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    stdin, sys.stdin = sys.stdin, io.StringIO("fuzz-password-1\n")
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = manage.main(argv)
            except SystemExit as exc:  # argparse: usage and one error line, exit 2
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdin = stdin
        if before is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = before
        get_settings.cache_clear()
    return code, err.getvalue()


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_every_command_does_its_work_or_says_what_is_wrong(fuzz_db, files, path):
    @FUZZ
    @given(argv=_arguments(path, files))
    def attempt(argv: list[str]) -> None:
        code, err = _run(fuzz_db, argv)
        assert "Traceback" not in err, (argv, err)
        if code == 0:
            return
        assert code in (1, 2), (argv, code, err)
        lines = err.strip().splitlines()
        assert lines and "error:" in lines[-1], (argv, code, err)

    attempt()


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["plan", "show", "--year", "2147483648"], 2, "the year must be between 1900 and 2999"),
        (["plan", "approve", "--year", "2027", "--version", "0"], 2, "a version is 1 or more"),
        (["report", "scorecard", "--period", "FY9999"], 1, "the year must be between"),
        (["report", "attainment", "--period", "0000-01", "--by", "rep"], 1, "the year must be"),
        (["user", "deactivate", "a\nb"], 1, "No person with username or email 'a\\nb'."),
        (["plan", "show", "--year", "20\r26"], 2, "'20\\r26' is not a year"),
    ],
)
def test_what_the_fuzzing_found_gets_one_clear_line(fuzz_db, argv, code, message):
    done, err = _run(fuzz_db, argv)
    assert done == code and message in err.strip().splitlines()[-1], err
    assert err.count("error:") == 1 and "error:" in err.splitlines()[-1], err
    assert "Traceback" not in err


def test_a_backup_onto_a_folder_gets_one_clear_line(fuzz_db, files, backend):
    folder = files["folder"][0]
    done, err = _run(fuzz_db, ["backup", "--out", folder])
    if backend == "postgresql":  # PostgreSQL backs up with pg_dump: the command says how
        assert done == 1 and "pg_dump" in err, err
        return
    assert done == 2 and err.strip() == f"error: {folder}: Is a directory", err


@pytest.fixture(scope="module")
def restore_target(tmp_path_factory) -> tuple[str, str]:
    """A throw-away SQLite database of its own for `restore`, and a real backup of it."""
    folder = tmp_path_factory.mktemp("restore")
    url = f"sqlite:///{folder / 'target.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    backup = str(folder / "good-backup.db")
    assert _run(url, ["backup", "--out", backup])[0] == 0
    return url, backup


@FUZZ
@given(data=st.data())
def test_restore_from_any_file_restores_or_says_what_is_wrong(restore_target, files, data):
    url, backup = restore_target
    argv = ["restore", data.draw(st.sampled_from([backup, *files["read"]]))]
    if data.draw(st.booleans()):
        argv.append("--yes")
    code, err = _run(url, argv)
    assert "Traceback" not in err, (argv, err)
    assert code == 0 or (code in (1, 2) and "error:" in err.strip().splitlines()[-1]), (argv, err)
