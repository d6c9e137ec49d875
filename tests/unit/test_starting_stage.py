"""Which stage a new deal may start at: the move rules applied step by step from the first
stage, with no deal team yet (pure, no database)."""

from core.pipeline.creation import starting_stage_blockers
from core.pipeline.rules import StageRule

LEAD = StageRule(1, "Lead", 1, exit_checklist=("Contact identified", "Need confirmed"))
QUALIFIED = StageRule(2, "Qualified", 2, exit_checklist=("Budget confirmed",))
PROPOSAL = StageRule(3, "Proposal", 3, exit_checklist=("Offer sent",))
TECH = StageRule(4, "Technical exchange", 4, required_roles=("pre-sales engineer",))
WON = StageRule(7, "Won", 7, is_won=True)
LOST = StageRule(8, "Lost", 8, is_lost=True)
STAGES = [TECH, LOST, PROPOSAL, WON, QUALIFIED, LEAD]  # in no particular order


def test_the_first_stage_has_no_entry_rules():
    assert starting_stage_blockers(STAGES, LEAD, []) == []


def test_a_later_stage_needs_every_earlier_exit_item_but_is_not_a_skip():
    assert starting_stage_blockers(STAGES, PROPOSAL, []) == [
        "Exit checklist of Lead not ticked: Contact identified, Need confirmed",
        "Exit checklist of Qualified not ticked: Budget confirmed",
    ]
    assert starting_stage_blockers(STAGES, PROPOSAL, ["Need confirmed", "Budget confirmed"]) == [
        "Exit checklist of Lead not ticked: Contact identified"
    ]
    done = ["Contact identified", "Need confirmed", "Budget confirmed"]
    assert starting_stage_blockers(STAGES, PROPOSAL, done) == []


def test_a_stage_that_needs_a_role_is_never_a_starting_stage():
    done = ["Contact identified", "Need confirmed", "Budget confirmed", "Offer sent"]
    assert starting_stage_blockers(STAGES, TECH, done) == [
        "Technical exchange needs on the deal team: pre-sales engineer"
    ]
