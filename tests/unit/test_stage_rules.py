"""The stage rules as pure functions: checklist, roles, overrides, won/lost, slips, versions."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from core.errors import PermissionDenied, ValidationFailed
from core.i18n import use_language
from core.models import CashStatus, Role
from core.pipeline.rules import (
    EditConflict,
    StageRule,
    check_move,
    counts_as_slip,
    days_in_stage,
    ensure_current_version,
    is_overdue,
    is_slipping,
    is_stalled,
    move_blockers,
    next_cash_step,
    next_is_won,
    next_stage,
)
from core.pipeline.stages import StageSettings, validate_stage_set

LEAD = StageRule(1, "Lead", 1, exit_checklist=("Contact identified", "Need confirmed"))
QUALIFIED = StageRule(2, "Qualified", 2, exit_checklist=("Budget confirmed",))
TECH = StageRule(3, "Technical exchange", 3, required_roles=("pre-sales engineer",))
WON = StageRule(7, "Won", 7, is_won=True, required_roles=("executive",))
LOST = StageRule(8, "Lost", 8, is_lost=True)
STAGES = [LEAD, QUALIFIED, TECH, WON, LOST]
TODAY = date(2026, 6, 15)


def move(current, target, role=Role.REP, **kw):
    return check_move(
        stages=STAGES, current=current, target=target, actor_role=role, today=TODAY, **kw
    )


def test_the_next_stage_skips_lost_and_closed_deals_have_none():
    assert next_stage(STAGES, LEAD) == QUALIFIED
    assert next_stage(STAGES, TECH) == WON
    assert next_stage(STAGES, WON) is None
    assert next_stage(STAGES, LOST) is None


def test_a_deal_moves_forward_only_when_the_exit_checklist_is_ticked():
    with pytest.raises(ValidationFailed, match="Exit checklist of Lead not ticked: Need confirmed"):
        move(LEAD, QUALIFIED, checklist_done=["Contact identified"])
    assert move(LEAD, QUALIFIED, checklist_done=["Contact identified", "Need confirmed"]) == (
        "forward"
    )


def test_a_stage_needing_a_role_refuses_entry_until_that_role_is_on_the_team():
    done = ["Budget confirmed"]
    with pytest.raises(ValidationFailed, match="needs on the deal team: pre-sales engineer"):
        move(QUALIFIED, TECH, checklist_done=done, team_roles=["finance"])
    assert move(QUALIFIED, TECH, checklist_done=done, team_roles=["pre-sales engineer"]) == (
        "forward"
    )


def test_the_blockers_list_every_missing_item_role_and_skipped_stage():
    blockers = move_blockers(STAGES, LEAD, TECH, [], [])
    assert blockers == [
        "Exit checklist of Lead not ticked: Contact identified, Need confirmed",
        "Exit checklist of Qualified not ticked: Budget confirmed",
        "Technical exchange needs on the deal team: pre-sales engineer",
        "Moving to Technical exchange skips Qualified",
    ]


def test_a_rep_cannot_override_and_a_manager_must_give_a_reason():
    with pytest.raises(PermissionDenied, match="manager or above"):
        move(LEAD, QUALIFIED, override=True, reason="customer in a hurry")
    with pytest.raises(ValidationFailed, match="override needs a reason"):
        move(LEAD, QUALIFIED, role=Role.MANAGER, override=True, reason="  ")
    assert move(LEAD, TECH, role=Role.MANAGER, override=True, reason="fast track") == "override"


def test_without_the_override_flag_even_a_manager_is_held_to_the_rules():
    with pytest.raises(ValidationFailed, match="A manager can override with a reason"):
        move(LEAD, QUALIFIED, role=Role.DIRECTOR)


def test_backward_moves_need_a_reason():
    with pytest.raises(ValidationFailed, match="reason for moving the deal back"):
        move(TECH, LEAD)
    assert move(TECH, LEAD, reason="buyer changed") == "backward"


def test_won_needs_a_closed_on_date_not_in_the_future_and_a_positive_amount():
    ready = {"team_roles": ["executive"]}
    with pytest.raises(ValidationFailed, match="date it closed on"):
        move(TECH, WON, amount=Decimal(100), **ready)
    with pytest.raises(ValidationFailed, match="cannot be in the future"):
        move(TECH, WON, amount=Decimal(100), closed_on=date(2026, 6, 16), **ready)
    with pytest.raises(ValidationFailed, match="final amount"):
        move(TECH, WON, amount=Decimal(0), closed_on=TODAY, **ready)
    with pytest.raises(ValidationFailed, match="needs on the deal team: executive"):
        move(TECH, WON, amount=Decimal(100), closed_on=TODAY)
    assert move(TECH, WON, amount=Decimal(100), closed_on=TODAY, **ready) == "won"


def test_lost_needs_a_lost_reason_from_any_open_stage():
    with pytest.raises(ValidationFailed, match="lost reason"):
        move(LEAD, LOST, lost_reason=" ")
    assert move(LEAD, LOST, lost_reason="Price") == "lost"


def test_closed_deals_are_reopened_only_by_a_manager_with_a_reason():
    with pytest.raises(PermissionDenied, match="reopen"):
        move(WON, TECH, reason="signature withdrawn")
    with pytest.raises(ValidationFailed, match="reason for reopening"):
        move(LOST, LEAD, role=Role.MANAGER)
    with pytest.raises(ValidationFailed, match="reopen it to an open stage first"):
        move(LOST, WON, role=Role.MANAGER, reason="x")
    assert move(LOST, LEAD, role=Role.MANAGER, reason="came back") == "reopen"


def test_moving_to_the_same_stage_is_refused():
    with pytest.raises(ValidationFailed, match="already in Lead"):
        move(LEAD, LEAD)


def test_only_moving_the_close_date_later_counts_as_a_slip_and_the_threshold_makes_slipping():
    assert counts_as_slip(date(2026, 6, 30), date(2026, 7, 1))
    assert not counts_as_slip(date(2026, 6, 30), date(2026, 6, 1))
    assert not counts_as_slip(date(2026, 6, 30), date(2026, 6, 30))
    assert [is_slipping(n, 2) for n in range(4)] == [False, False, True, True]
    assert [is_slipping(n, 3) for n in range(5)] == [False, False, False, True, True]
    assert not is_slipping(5, 2, is_open=False)


def test_the_next_stage_is_won_only_from_the_last_open_stage():
    assert next_is_won(STAGES, TECH)
    assert not next_is_won(STAGES, LEAD)
    assert not next_is_won(STAGES, QUALIFIED)
    assert not next_is_won(STAGES, WON) and not next_is_won(STAGES, LOST)


def test_a_deal_longer_in_its_stage_than_the_maximum_is_stalled_only_while_open():
    assert days_in_stage(date(2026, 5, 16), TODAY) == 30
    assert not is_stalled(30, 30)
    assert is_stalled(31, 30)
    assert not is_stalled(500, None)
    assert not is_stalled(31, 30, is_open=False)


def test_an_open_deal_is_overdue_the_day_after_its_expected_close():
    assert not is_overdue(TODAY, TODAY)
    assert is_overdue(date(2026, 6, 14), TODAY)
    assert not is_overdue(date(2026, 6, 16), TODAY)
    assert not is_overdue(date(2026, 6, 14), TODAY, is_open=False)


def test_a_save_from_an_old_version_is_refused_naming_who_changed_the_deal():
    ensure_current_version(3, 3, "Anna", None)
    with pytest.raises(EditConflict, match=r"^Anna changed this deal at 2026-06-15 09:30 after"):
        ensure_current_version(3, 4, "Anna", datetime(2026, 6, 15, 9, 30))
    with pytest.raises(EditConflict, match="^Someone else changed"):
        ensure_current_version(1, 2, None, None)


def test_a_save_refused_because_of_ones_own_other_window_says_so():
    with pytest.raises(EditConflict, match=r"^You saved this deal in another window at 2026-06"):
        ensure_current_version(3, 4, "Anna", datetime(2026, 6, 15, 9, 30), by_you=True)
    with use_language("zh_CN"), pytest.raises(EditConflict, match="2026年6月15日 09:30"):
        ensure_current_version(3, 4, "Anna", datetime(2026, 6, 15, 9, 30), by_you=True)


def test_lead_to_cash_goes_contract_then_invoice_then_payment():
    assert next_cash_step(None) == CashStatus.CONTRACT_SIGNED
    assert next_cash_step("contract_signed") == CashStatus.INVOICED
    assert next_cash_step("invoiced") == CashStatus.PAID
    assert next_cash_step("paid") is None


def _settings(**changes):
    base = [
        StageSettings(name="Lead", position=1, probability=Decimal("0.1")),
        StageSettings(name="Deal", position=2, probability=Decimal("0.5")),
        StageSettings(name="Won", position=3, probability=Decimal(1), is_won=True),
        StageSettings(name="Lost", position=4, probability=Decimal(0), is_lost=True),
    ]
    for index, values in changes.items():
        i = int(index[1:])
        base[i] = base[i].model_copy(update=values)
    return base


def test_a_valid_stage_set_passes_and_checklists_are_trimmed():
    validate_stage_set(_settings())
    stage = StageSettings(
        name="X", position=1, probability=Decimal("0.2"), exit_checklist=[" a ", "", "a", "b"]
    )
    assert stage.exit_checklist == ["a", "b"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"s1": {"name": "lead"}}, "names must be unique"),
        ({"s1": {"position": 1}}, "same position"),
        ({"s3": {"is_lost": False}}, "exactly one won stage and exactly one lost"),
        ({"s2": {"probability": Decimal("0.9")}}, "must have probability 100%"),
        ({"s1": {"probability": Decimal("0.05")}}, "must not fall from 'Lead' to 'Deal'"),
        ({"s1": {"position": 9}}, "Open stages must come before"),
    ],
)
def test_stage_sets_that_break_the_pipeline_are_refused(changes, message):
    with pytest.raises(ValidationFailed, match=message):
        validate_stage_set(_settings(**changes))
