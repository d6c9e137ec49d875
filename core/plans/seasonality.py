"""Named seasonality profiles: twelve calendar-month percentages a director keeps.

Business rules:
- A profile has a name (up to 30 characters, not one of the built-in "flat", "history" or
  "manual") and twelve percentages, January to December, each with at most two decimals,
  adding up to exactly 100 (`planning.calendar_profile`).
- A plan created with a profile spreads each target over the fiscal months by it.
- Directors and admins keep profiles; everyone signed in may read them. Every change is
  audited; a profile a plan uses can be changed (the plan keeps its months until it is
  allocated again) but not deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from core import planning
from core.errors import NotFound, ValidationFailed
from core.i18n import _
from core.models import Actor
from core.org import audit
from core.org.access import ensure_active
from core.plans.rules import director_refusal, ensure
from db.schema import SeasonalityPercent, TargetPlan

BUILT_IN = ("flat", "history", "manual")
"""Seasonalities that are not named profiles."""
NAME_LENGTH = 30


def _clean_name(name: object) -> str:
    value = " ".join(str(name or "").split())
    if not value:
        raise ValidationFailed(_("Give the seasonality profile a name."))
    if len(value) > NAME_LENGTH:
        raise ValidationFailed(
            _("A profile name has at most {NAME_LENGTH} characters.").format(
                NAME_LENGTH=NAME_LENGTH
            )
        )
    if value.lower() in BUILT_IN:
        raise ValidationFailed(
            _("'{value}' is a built-in seasonality; choose another name.").format(value=value)
        )
    return value


def profiles(session: Session, actor: Actor) -> dict[str, list[Decimal]]:
    """Every named profile: name -> twelve percentages, January first."""
    ensure_active(actor)
    return all_profiles(session)


def all_profiles(session: Session) -> dict[str, list[Decimal]]:
    """Every named profile (for the allocation, which checks its own permissions)."""
    out: dict[str, list[Decimal]] = {}
    rows = session.execute(
        select(
            SeasonalityPercent.name, SeasonalityPercent.month, SeasonalityPercent.percent
        ).order_by(SeasonalityPercent.name, SeasonalityPercent.month)
    )
    for name, month, percent in rows:
        out.setdefault(name, [Decimal(0)] * 12)[month - 1] = Decimal(percent)
    return out


def profile_percentages(session: Session, name: str) -> list[Decimal]:
    """A named profile's twelve percentages, January first; refused when there is none."""
    found = all_profiles(session).get(name)
    if found is None:
        known = ", ".join([*BUILT_IN, *all_profiles(session)])
        raise ValidationFailed(
            _("Unknown seasonality '{name}': choose one of {known}.").format(name=name, known=known)
        )
    return found


def save_profile(
    session: Session, actor: Actor, name: object, percentages: Sequence[object]
) -> str:
    """Create or replace a named profile (directors, admins); returns its name."""
    ensure(director_refusal(actor, _("keep seasonality profiles")))
    clean = _clean_name(name)
    try:
        values = planning.calendar_profile(list(percentages))  # type: ignore[arg-type]
    except planning.PlanningError as exc:
        raise ValidationFailed(_("Profile '{clean}': {exc}").format(clean=clean, exc=exc)) from None
    before = all_profiles(session).get(clean)
    session.execute(delete(SeasonalityPercent).where(SeasonalityPercent.name == clean))
    session.add_all(
        SeasonalityPercent(name=clean, month=m, percent=v) for m, v in enumerate(values, 1)
    )
    audit.record(
        session,
        actor,
        "update" if before else "create",
        "seasonality_profile",
        None,
        before={"name": clean, "percent": [str(v) for v in before]} if before else None,
        after={"name": clean, "percent": [str(v) for v in values]},
    )
    session.flush()
    return clean


def delete_profile(session: Session, actor: Actor, name: str) -> None:
    """Delete a named profile no plan uses (directors, admins)."""
    ensure(director_refusal(actor, _("keep seasonality profiles")))
    before = all_profiles(session).get(name)
    if before is None:
        raise NotFound(_("There is no seasonality profile '{name}'.").format(name=name))
    if session.scalar(select(exists().where(TargetPlan.seasonality == name))):
        raise ValidationFailed(
            _("A plan uses the profile '{name}'; it cannot be deleted.").format(name=name)
        )
    session.execute(delete(SeasonalityPercent).where(SeasonalityPercent.name == name))
    audit.record(
        session,
        actor,
        "delete",
        "seasonality_profile",
        None,
        before={"name": name, "percent": [str(v) for v in before]},
    )
    session.flush()
