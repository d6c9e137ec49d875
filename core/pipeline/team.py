"""Deal-team functions: the jobs a person can fill on a deal team (pre-sales engineer, solution
consultant, executive sponsor, finance, legal, executive).

Rules:
- A stage's required role is met only by a team member who has that function; being put on the
  team under the role's name is not enough.
- The known functions are the standard ones plus any role a stage requires; a person's functions
  are chosen from them (names compared ignoring case, kept in the known spelling).
- Administrators and directors set people's functions; every change is audited.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationFailed
from core.i18n import _
from core.models import Actor
from core.org import audit
from core.org.access import ensure_role
from core.pipeline.rules import TeamSeat
from core.pipeline.stages import known_team_roles
from core.pipeline.standard_stages import STANDARD_STAGES
from core.pipeline.wording import listing
from db.schema import DealTeamMember, Person

STANDARD_FUNCTIONS: tuple[str, ...] = tuple(
    dict.fromkeys(role for stage in STANDARD_STAGES for role in stage[4])
)
"""The functions the standard stages ask for, in stage order."""

SEPARATOR = ";"
"""How functions are written in one cell of a file (`finance; legal`)."""


def known_functions(session: Session) -> list[str]:
    """The standard functions and every role a configured stage requires, without duplicates."""
    out: dict[str, str] = {}
    for name in (*STANDARD_FUNCTIONS, *known_team_roles(session)):
        out.setdefault(name.casefold(), name)
    return list(out.values())


def canonical_function(session: Session, role: str) -> str | None:
    """The known function named `role` (ignoring case), or None for a free team label."""
    wanted = role.strip().casefold()
    return next((f for f in known_functions(session) if f.casefold() == wanted), None)


def split_functions(text: str | None) -> list[str]:
    """The functions written in one cell, `;`-separated, trimmed, empty parts dropped."""
    return [part.strip() for part in (text or "").split(SEPARATOR) if part.strip()]


def clean_functions(session: Session, names: Iterable[str]) -> list[str]:
    """`names` in their known spelling, without duplicates; an unknown name is refused with a
    message naming it and the known functions."""
    known = {f.casefold(): f for f in known_functions(session)}
    out: dict[str, str] = {}
    unknown: list[str] = []
    for name in names:
        key = name.strip().casefold()
        if not key:
            continue
        if key in known:
            out.setdefault(key, known[key])
        else:
            unknown.append(name.strip())
    if unknown:
        raise ValidationFailed(
            _("Unknown function: {unknown}. Known functions are: {known}.").format(
                unknown=listing(unknown), known=listing(known.values())
            )
        )
    return list(out.values())


def set_person_functions(
    session: Session, actor: Actor, person_id: int, functions: Iterable[str]
) -> list[str]:
    """Set the deal-team functions a person can fill (administrators and directors); returns
    them as stored."""
    ensure_role(actor, action=_("set people's functions"))
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(_("No person with id {person_id}.").format(person_id=person_id))
    cleaned = clean_functions(session, functions)
    before = list(person.functions or [])
    if before == cleaned:
        return cleaned
    person.functions = cleaned  # a new list: the JSON change is tracked
    session.flush()
    audit.record(
        session,
        actor,
        "person.functions",
        "person",
        person.id,
        before={"functions": before},
        after={"functions": cleaned},
    )
    return cleaned


def people_functions(session: Session) -> dict[int, list[str]]:
    """Each person's functions, by person id (people without any are left out)."""
    rows = session.execute(select(Person.id, Person.functions)).all()
    return {pid: list(functions) for pid, functions in rows if functions}


def team_seats(session: Session, deal_id: int) -> list[TeamSeat]:
    """The deal's team: each member's role and the functions that person has."""
    rows = session.execute(
        select(DealTeamMember.person_id, DealTeamMember.role, Person.functions)
        .join(Person, Person.id == DealTeamMember.person_id)
        .where(DealTeamMember.deal_id == deal_id)
    ).all()
    return [
        TeamSeat(person_id=pid, role=role, functions=tuple(functions or ()))
        for pid, role, functions in rows
    ]


__all__ = [
    "SEPARATOR",
    "STANDARD_FUNCTIONS",
    "canonical_function",
    "clean_functions",
    "known_functions",
    "people_functions",
    "set_person_functions",
    "split_functions",
    "team_seats",
]
