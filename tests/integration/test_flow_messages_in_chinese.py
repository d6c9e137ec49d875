"""Pipeline, alerts, imports and scorecards speak the reader's language: inside
`use_language("zh_CN")` a refused stage move, the current alerts, an import's refused rows and a
scorecard's part names read in Chinese (the standard stages' names and roles too), while
what machines read (alert keys, rules, severities, problem rows and columns) stays the same;
outside it everything reads in English, as before.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.errors import ValidationFailed
from core.i18n import _, use_language
from core.org.access import SYSTEM_ACTOR
from core.performance import alerts, scorecard
from core.periods import quarter_of
from core.pipeline import deals
from core.pipeline.deals import DealMove
from core.transfer import ImportFailed, import_table
from db.schema import AlertState, Deal, Person, Stage
from tests import factories
from tests.conftest import SEED_TODAY
from tests.pipeline_factories import stage, team
from tests.transfer_support import counts, csv_table

CJK = re.compile(r"[\u4e00-\u9fff]")


def _tick_all(session, actor, deal):
    for item in stage(session, session.get(Stage, deal.stage_id).name).exit_checklist:
        deals.tick_checklist_item(session, actor, deal.id, deal.version, item, True)


def _refusal_of_a_move_without_the_stages_role(session) -> str:
    t = team(session)
    rep = t.actor(session, t.rep)
    deal = factories.deal(session, t.rep, t.customer, stage_name="Qualified")
    _tick_all(session, rep, deal)
    tech = stage(session, "Technical exchange")
    with pytest.raises(ValidationFailed) as refused:
        deals.move_deal(session, rep, deal.id, DealMove(to_stage_id=tech.id, seen_version=3))
    assert session.get(Deal, deal.id).stage_id != tech.id
    return str(refused.value)


def test_a_stage_role_refusal_reads_in_chinese_and_in_english_as_before(session):
    with use_language("zh_CN"):
        chinese = _refusal_of_a_move_without_the_stages_role(session)
    assert chinese == (
        "暂时不能推进到技术交流。技术交流要求商机团队中有：售前工程师。经理可以填写原因后越级推进。"
    )
    english = _refusal_of_a_move_without_the_stages_role(session)
    assert english == (
        "Cannot move to Technical exchange yet. Technical exchange needs on the deal team: "
        "pre-sales engineer. A manager can override with a reason."
    )


RULE_LABELS = {
    "behind_pace": ("Behind pace", "进度落后"),
    "low_coverage": ("Low coverage", "覆盖率偏低"),
    "big_deal_at_risk": ("Big deal at risk", "大额商机有风险"),
    "stalled_deal": ("Stalled deal", "停滞的商机"),
    "slipping_deal": ("Slipping deal", "推迟中的商机"),
    "overdue_close": ("Overdue close date", "成交日期已过"),
    "missing_role": ("Missing deal-team role", "商机团队缺少角色"),
    "neglected_customer": ("Neglected customer", "被冷落的客户"),
    "overdue_follow_up": ("Overdue follow-up", "逾期跟进"),
    "not_priced": ("Deals not priced", "未定价的商机"),
}


def test_current_alerts_read_in_chinese_with_the_same_keys(session):
    # an open deal expected to close 9 days ago: an overdue close date on any data
    t = team(session)
    late = factories.deal(session, t.rep, t.customer, stage_name="Qualified")
    late.expected_close = SEED_TODAY - timedelta(days=9)
    session.flush()
    english = alerts.current_alerts(session, SYSTEM_ACTOR, today=SEED_TODAY)
    with use_language("zh_CN"):
        chinese = alerts.current_alerts(session, SYSTEM_ACTOR, today=SEED_TODAY)
    assert english and len(english) == len(chinese)
    assert [a.key for a in chinese] == [a.key for a in english]
    for en, zh in zip(english, chinese, strict=True):
        assert (zh.rule, zh.severity, zh.subject_id, zh.figures) == (
            en.rule,
            en.severity,
            en.subject_id,
            en.figures,
        )
        assert (en.rule_label, zh.rule_label) == RULE_LABELS[en.rule]
        assert CJK.search(zh.message) and not CJK.search(en.message.replace(en.subject, ""))
    mine_en = next(a for a in english if a.rule == "overdue_close" and a.subject_id == late.id)
    mine_zh = next(a for a in chinese if a.rule == "overdue_close" and a.subject_id == late.id)
    expected = (SEED_TODAY - timedelta(days=9)).isoformat()
    assert mine_en.message == f"Expected to close on {expected}, 9 days ago; still open."
    assert mine_zh.message == f"预计于{expected}成交，已过去9天，仍未结。"


def test_acknowledging_in_chinese_stores_the_language_free_key(session):
    t = team(session)
    late = factories.deal(session, t.rep, t.customer, stage_name="Qualified")
    late.expected_close = SEED_TODAY - timedelta(days=3)
    session.flush()
    manager = factories.actor(session, t.manager)
    key = f"overdue_close:deal:{late.id}:{late.expected_close.isoformat()}"
    with use_language("zh_CN"):
        shown = {a.key for a in alerts.current_alerts(session, manager, today=SEED_TODAY)}
        assert key in shown
        alerts.acknowledge(session, manager, [key])
    stored = session.scalars(select(AlertState.alert_key).where(AlertState.alert_key == key)).all()
    assert stored == [key]
    again = {a.key for a in alerts.current_alerts(session, manager, today=SEED_TODAY)}
    assert key not in again


CUSTOMERS = """
external_id,name,region,owner,status,annual_potential
ZH-9,One,DACH,ghost@example.com,active,1
ZH-9,Two,DACH,,active,1
"""


def _refused_customers(session) -> ImportFailed:
    before = counts(session)
    with pytest.raises(ImportFailed) as failure:
        import_table(session, SYSTEM_ACTOR, "customers", csv_table(CUSTOMERS))
    assert counts(session) == before  # nothing written
    return failure.value


def test_an_import_refusal_reads_in_chinese_and_writes_nothing(session):
    with use_language("zh_CN"):
        chinese = _refused_customers(session)
    assert [(p.row, p.column, p.value, p.reason) for p in chinese.problems] == [
        (2, "owner", "ghost@example.com", "没有使用此邮箱的人员"),
        (3, "external_id", "ZH-9", "在文件中出现了两次（另见第2行）"),
    ]
    assert str(chinese) == (
        "未导入任何内容：共2个问题。第2行，owner“ghost@example.com”：没有使用此邮箱的人员（另有1个）"
    )
    english = _refused_customers(session)
    assert [(p.row, p.column, p.value, p.reason) for p in english.problems] == [
        (2, "owner", "ghost@example.com", "no person with this email"),
        (3, "external_id", "ZH-9", "appears twice in the file (also row 2)"),
    ]
    assert str(english) == (
        "Nothing was imported: 2 problem(s). row 2, owner 'ghost@example.com': "
        "no person with this email (and 1 more)"
    )


def test_a_scorecard_names_its_parts_in_chinese(session):
    rep_id = session.scalar(
        select(Person.id).where(Person.role == "rep", Person.active.is_(True)).order_by(Person.id)
    )
    period = quarter_of(SEED_TODAY)
    english = scorecard.rep_scorecard(session, SYSTEM_ACTOR, rep_id, period)
    with use_language("zh_CN"):
        chinese = scorecard.rep_scorecard(session, SYSTEM_ACTOR, rep_id, period)
        note = _(scorecard.SPLIT_CREDIT_NOTE)
    labels_en = {p.metric: p.label for p in english.parts}
    labels_zh = {p.metric: p.label for p in chinese.parts}
    assert (labels_en["attainment"], labels_zh["attainment"]) == ("Attainment", "达成率")
    assert (labels_en["win_rate"], labels_zh["win_rate"]) == ("Win rate", "赢单率")
    assert chinese.score == english.score
    assert [p.contribution for p in chinese.parts] == [p.contribution for p in english.parts]
    assert note == "分成的商机按每位分成人的份额计入其金额；其赢单和成交周期对每位分成人各计一次。"
    assert _(scorecard.SPLIT_CREDIT_NOTE).startswith("A deal whose credit is split counts")


def test_lists_inside_sentences_join_the_chinese_way(session):
    from core.pipeline.wording import listing

    assert listing(["a", "b"]) == "a, b" and listing(["a", "b"], "; ") == "a; b"
    with use_language("zh_CN"):
        assert listing(["a", "b"]) == "a、b" and listing(["a", "b"], "; ") == "a；b"
    assert _("Stalled deal") == "Stalled deal"  # the default language is back: English


def test_every_shipped_preset_text_is_marked_for_translation():
    from core.transfer.presets import SHIPPED_TEXTS, shipped_presets

    files = [text for p in shipped_presets().values() for text in (p.title, p.source)]
    assert sorted(files) == sorted(SHIPPED_TEXTS)
    hubspot = shipped_presets()["hubspot-deals"]
    with use_language("zh_CN"):
        assert hubspot.shown_title == "HubSpot：商机导出"
    assert hubspot.shown_title == "HubSpot: deals export"
