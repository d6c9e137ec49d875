"""The standard pipeline stages every deal walks through, and their settings (administrators).

Rules:
- Stages are ordered by position. Open stages come first; exactly one stage is "won" (win
  probability 1) and exactly one is "lost" (win probability 0).
- A stage's exit checklist must be ticked before a deal leaves it forwards; its required roles
  must be on the deal team before a deal enters it.
- A stage that deals sit in cannot be deleted.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import ValidationFailed
from core.i18n import _
from core.models import Actor, Role
from core.org import audit
from core.org.access import ensure_role
from core.pipeline.rules import StageRule
from core.pipeline.standard_stages import STANDARD_STAGES
from db.schema import Deal, Stage


def _clean_items(values: list[str]) -> list[str]:
    """Trimmed, non-empty, without duplicates, in the given order."""
    out: list[str] = []
    for value in values:
        item = str(value).strip()
        if item and item not in out:
            out.append(item)
    return out


class StageSettings(BaseModel):
    """One stage as an administrator edits it (id None for a new stage)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: int | None = None
    name: str = Field(min_length=1, max_length=80)
    position: int = Field(ge=0)
    probability: Decimal = Field(ge=0, le=1, decimal_places=4)
    is_won: bool = False
    is_lost: bool = False
    exit_checklist: list[str] = Field(default_factory=list)
    required_roles: list[str] = Field(default_factory=list)
    max_days: int | None = Field(default=None, ge=0)

    @field_validator("exit_checklist", "required_roles")
    @classmethod
    def clean(cls, values: list[str]) -> list[str]:
        return _clean_items(values)

    @property
    def is_open(self) -> bool:
        return not (self.is_won or self.is_lost)


def list_stages(session: Session) -> list[StageSettings]:
    """All stages in pipeline order."""
    return [
        StageSettings(
            id=s.id,
            name=s.name,
            position=s.position,
            probability=s.probability,
            is_won=s.is_won,
            is_lost=s.is_lost,
            exit_checklist=list(s.exit_checklist or []),
            required_roles=list(s.required_roles or []),
            max_days=s.max_days,
        )
        for s in session.scalars(select(Stage).order_by(Stage.position))
    ]


def stage_rules(session: Session) -> list[StageRule]:
    """All stages in pipeline order, as the deal rules see them."""
    return [
        StageRule(
            id=s.id,
            name=s.name,
            position=s.position,
            is_won=s.is_won,
            is_lost=s.is_lost,
            exit_checklist=tuple(s.exit_checklist or ()),
            required_roles=tuple(s.required_roles or ()),
        )
        for s in session.scalars(select(Stage).order_by(Stage.position))
    ]


def known_team_roles(session: Session) -> list[str]:
    """Every deal-team role some stage requires, in stage order (for pickers)."""
    return _clean_items([role for stage in list_stages(session) for role in stage.required_roles])


def validate_stage_set(stages: list[StageSettings]) -> None:
    """The whole set must make a usable pipeline; raises ValidationFailed naming the problem."""
    if not stages:
        raise ValidationFailed(_("There must be at least one stage."))
    names = [s.name.casefold() for s in stages]
    duplicates = sorted({s.name for s in stages if names.count(s.name.casefold()) > 1})
    if duplicates:
        raise ValidationFailed(
            _("Stage names must be unique: {join}.").format(join=", ".join(duplicates))
        )
    positions = [s.position for s in stages]
    if len(set(positions)) != len(positions):
        raise ValidationFailed(_("Two stages have the same position; give each its own."))
    for stage in stages:
        if stage.is_won and stage.is_lost:
            raise ValidationFailed(
                _("Stage '{name}' cannot be both won and lost.").format(name=stage.name)
            )
    won = [s for s in stages if s.is_won]
    lost = [s for s in stages if s.is_lost]
    if len(won) != 1 or len(lost) != 1:
        raise ValidationFailed(_("There must be exactly one won stage and exactly one lost stage."))
    if won[0].probability != 1:
        raise ValidationFailed(
            _("The won stage '{name}' must have probability 100%.").format(name=won[0].name)
        )
    if lost[0].probability != 0:
        raise ValidationFailed(
            _("The lost stage '{name}' must have probability 0%.").format(name=lost[0].name)
        )
    open_stages = sorted((s for s in stages if s.is_open), key=lambda s: s.position)
    if not open_stages:
        raise ValidationFailed(_("There must be at least one open stage before won and lost."))
    if max(s.position for s in open_stages) > min(won[0].position, lost[0].position):
        raise ValidationFailed(_("Open stages must come before the won and lost stages."))
    for earlier, later in zip(open_stages, open_stages[1:]):
        if later.probability < earlier.probability:
            raise ValidationFailed(
                _("Probability must not fall from '{name}' to '{name_2}'.").format(
                    name=earlier.name, name_2=later.name
                )
            )


def save_stages(session: Session, actor: Actor, stages: list[StageSettings]) -> None:
    """Replace the stage settings with `stages` (administrators and directors only).

    Stages missing from the list are deleted, unless deals or history use them."""
    ensure_role(actor, Role.ADMIN, action=_("change the pipeline stages"))
    validate_stage_set(stages)
    existing = {s.id: s for s in session.scalars(select(Stage))}
    unknown = [s.id for s in stages if s.id is not None and s.id not in existing]
    if unknown:
        raise ValidationFailed(
            _("No stage with id {unknown}; reload the page and try again.").format(
                unknown=unknown[0]
            )
        )
    keep = {s.id for s in stages if s.id is not None}
    removed = [stage for stage_id, stage in existing.items() if stage_id not in keep]
    for stage in removed:
        in_use = session.scalar(select(func.count()).where(Deal.stage_id == stage.id))
        if in_use:
            raise ValidationFailed(
                _(
                    "Stage '{name}' holds {in_use} deals and cannot be deleted; move the "
                    "deals first."
                ).format(name=stage.name, in_use=in_use)
            )
    before = [s.model_dump() for s in list_stages(session)]
    for stage in removed:
        session.delete(stage)
    # Positions and names are unique: park the existing rows out of the way first.
    for offset, stage in enumerate(existing.values(), start=1):
        if stage.id in keep:
            stage.position = -offset
            stage.name = f"~{stage.id}~{stage.name}"[:80]
    session.flush()
    for item in stages:
        row = existing.get(item.id) if item.id is not None else None
        if row is None:
            row = Stage()
            session.add(row)
        row.name = item.name
        row.position = item.position
        row.probability = item.probability
        row.is_won = item.is_won
        row.is_lost = item.is_lost
        row.exit_checklist = list(item.exit_checklist)
        row.required_roles = list(item.required_roles)
        row.max_days = item.max_days
    session.flush()
    audit.record(
        session,
        actor,
        "stages.save",
        "stage",
        before={"stages": before},
        after={"stages": [s.model_dump() for s in list_stages(session)]},
    )


def default_stages() -> list[StageSettings]:
    """The standard B2B project sale: lead, qualified, technical exchange, requirements and
    solution, evaluation, negotiation, won, lost (core.pipeline.standard_stages)."""
    return [
        StageSettings(
            name=name,
            position=position,
            probability=Decimal(probability),
            is_won=name == "Won",
            is_lost=name == "Lost",
            exit_checklist=list(checklist),
            required_roles=list(roles),
            max_days=max_days,
        )
        for position, (name, probability, max_days, checklist, roles) in enumerate(
            STANDARD_STAGES, 1
        )
    ]


def create_default_stages(session: Session, actor: Actor) -> int:
    """Set up the standard stages in a database that has none yet; returns how many."""
    ensure_role(actor, Role.ADMIN, action=_("set up the pipeline stages"))
    if session.scalar(select(func.count()).select_from(Stage)):
        raise ValidationFailed(_("Stages are already set up; edit them instead."))
    stages = default_stages()
    save_stages(session, actor, stages)
    return len(stages)
