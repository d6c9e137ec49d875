"""Plans, people, periods and the command line speak the reader's language: inside
`use_language("zh_CN")` a plan refusal, a permission refusal and a period the app cannot read
are refused in Chinese, and nothing is written; outside it they read in English, as before.
`manage.py --language zh_CN report attainment` prints its table with a Chinese title, while the
csv output (a machine format) is byte for byte the English one. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import manage
from core.errors import PermissionDenied, ValidationFailed
from core.i18n import current_language, use_language
from core.org import people
from core.periods import parse_period
from core.plans.allocation import create_plan
from db.config import get_settings
from db.schema import Person, TargetPlan
from tests.conftest import SEED_TODAY
from tests.plan_factories import actor_named

CJK = re.compile(r"[\u4e00-\u9fff]")
YEAR = 2030


def _plan_refusal(session) -> str:
    """A director asks for a plan padded by 150 %."""
    director = actor_named(session, "director")
    plans_before = session.scalar(select(func.count()).select_from(TargetPlan))
    with pytest.raises(ValidationFailed) as refused:
        create_plan(
            session,
            director,
            fiscal_year=YEAR,
            company_target=Decimal(1_000_000),
            method="equal",
            padding_pct=Decimal(150),
        )
    assert session.scalar(select(func.count()).select_from(TargetPlan)) == plans_before
    return str(refused.value)


def test_a_plan_refusal_reads_in_chinese_and_in_english_as_before(session):
    with use_language("zh_CN"):
        chinese = _plan_refusal(session)
    assert chinese == "加成必须在 0 到 100% 之间。"
    assert _plan_refusal(session) == "Padding must be between 0 and 100 percent."


def _permission_refusal(session) -> str:
    """A rep tries to add a person, which only directors and admins may do."""
    rep = actor_named(session, "rep")
    data = people.PersonCreate(
        email="new.rep@example.com", name="New Rep", role="rep", password="pw-1234"
    )
    with pytest.raises(PermissionDenied) as refused:
        people.add_person(session, rep, data)
    added = session.scalar(select(Person.id).where(Person.email == "new.rep@example.com"))
    assert added is None
    return str(refused.value)


def test_a_permission_refusal_reads_in_chinese_with_the_roles_named_in_chinese(session):
    with use_language("zh_CN"):
        chinese = _permission_refusal(session)
    assert chinese == "只有管理员、销售总监可以添加人员；您当前的身份是销售代表。"
    english = _permission_refusal(session)
    assert english == "Only admin, director may add people; you are signed in as rep."


def test_a_period_the_app_cannot_read_is_refused_in_the_readers_language(session):
    with use_language("zh_CN"), pytest.raises(ValidationFailed) as chinese:
        parse_period("next spring")
    assert str(chinese.value) == (
        "无法识别的期间 'next spring'：请输入周（2026-W48）、月（2026-03）、季度（2026Q1）"
        "或财年（FY2026）。"
    )
    with pytest.raises(ValidationFailed) as english:
        parse_period("next spring")
    assert str(english.value) == (
        "Unknown period 'next spring': write a week (2026-W48), a month (2026-03), a quarter "
        "(2026Q1) or a fiscal year (FY2026)."
    )
    with use_language("zh_CN"), pytest.raises(ValidationFailed) as too_far:
        parse_period("3001Q1")
    assert CJK.search(str(too_far.value)) and "3001Q1" in str(too_far.value)


@pytest.fixture
def cli(engine, monkeypatch, capsys):
    """`manage.py ...` in-process against the test database: (exit code, stdout, stderr)."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()

    def run(*args: str) -> tuple[int, str, str]:
        code = manage.main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    yield run
    get_settings.cache_clear()


def test_the_attainment_table_has_a_chinese_title_and_the_csv_stays_the_same(cli):
    year = SEED_TODAY.year
    report = ["report", "attainment", "--by", "region", "--period", f"FY{year}"]
    report += ["--today", SEED_TODAY.isoformat()]
    code, chinese, err = cli("--language", "zh_CN", *report, "--format", "table")
    assert code == 0, err
    assert current_language() == "en"  # the command's language ends with the command
    columns, *rows, title = chinese.splitlines()
    day = f"{SEED_TODAY.year}年{SEED_TODAY.month}月{SEED_TODAY.day}日"
    assert title == f"各区域在{year}财年的目标达成（截至{day}）。"
    assert columns.split()[:4] == ["entity", "name", "period", "target"]  # names never change
    code, english, err = cli("--language", "en", *report, "--format", "table")
    assert code == 0, err
    assert english.splitlines()[-1] == (
        f"Attainment by region in FY{year} (as of {SEED_TODAY.isoformat()})."
    )
    assert english.splitlines()[:-1] == [columns, *rows]  # only the title is in words

    code, csv_zh, err = cli("--language", "zh_CN", *report, "--format", "csv")
    assert code == 0, err
    code, csv_en, err = cli(*report, "--format", "csv")
    assert code == 0, err
    assert csv_zh == csv_en
    assert csv_en.splitlines()[0].startswith("entity,name,period,target,won,attainment")
    assert not CJK.search(csv_zh.splitlines()[0])


def test_a_refusal_of_the_command_line_reads_in_chinese(cli):
    code, out, err = cli("--language", "zh_CN", "report", "attainment", "--by", "planet")
    assert code == 1 and out == ""
    assert err == "错误：未知的层级 'planet'：请选择 company、region 或 rep。\n"
    code, out, err = cli("report", "attainment", "--by", "planet")
    assert err == "error: Unknown level 'planet': choose company, region or rep.\n"
