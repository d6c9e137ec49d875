"""Reading forecast snapshots back: the frozen forecast of a scope on the days it was taken
(core.progress.snapshots takes them). Only within the reader's area: a rep their own, a
manager their regions' subtree, directors and admins everything."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.i18n import _
from core.models import Actor, Period, Role
from core.org.access import ensure_can_view_person, in_scope
from core.org.regions import load_region_tree
from core.progress.snapshots import COMPANY_ENTITY
from db.schema import ForecastSnapshot, Person, SnapshotLevel


class SnapshotFigures(BaseModel):
    """One entity's forecast for a period as it stood on `taken_on`."""

    taken_on: date
    period: str
    level: str
    entity_id: int
    entity: str
    at_period_start: bool
    target: Decimal | None
    won: Decimal | None
    commit: Decimal | None
    best_case: Decimal | None
    pipeline: Decimal | None
    weighted: Decimal | None
    forecast: Decimal | None
    open_pipeline: Decimal | None
    probability: Decimal | None


def snapshot_subject(session: Session, actor: Actor, scope_key: str) -> tuple[str, int] | None:
    """The (level, entity id) whose snapshots a scope shows, refusing scopes outside the
    actor's area; None for a scope that is no single entity (a manager's several regions)."""
    kind, __, value = scope_key.partition(":")
    if scope_key == "company" or (scope_key == "default" and actor.sees_everything):
        if not actor.sees_everything:
            raise PermissionDenied(_("Only directors and admins see the company's figures."))
        return SnapshotLevel.COMPANY.value, COMPANY_ENTITY
    if scope_key == "default":
        if actor.role == Role.REP:
            return SnapshotLevel.REP.value, int(actor.id or 0)
        tree = load_region_tree(session)
        ids = actor.scope_region_ids or frozenset()
        tops = [r for r in ids if tree.parents.get(r) not in ids]
        return (SnapshotLevel.REGION.value, tops[0]) if len(tops) == 1 else None
    if kind == "region" and value.isdigit():
        if actor.role == Role.REP or not in_scope(actor, int(value)):
            raise PermissionDenied(_("You can only see figures of regions you manage."))
        return SnapshotLevel.REGION.value, int(value)
    if kind == "rep" and value.isdigit():
        person = session.get(Person, int(value))
        if person is None:
            raise NotFound(_("No person with id {value}.").format(value=value))
        ensure_can_view_person(actor, person_id=person.id, region_id=person.region_id)
        return SnapshotLevel.REP.value, person.id
    raise ValidationFailed(_("Unknown scope '{scope_key}'.").format(scope_key=scope_key))


def forecast_history(
    session: Session, actor: Actor, scope_key: str, period: Period
) -> list[SnapshotFigures]:
    """The snapshots of a scope's forecast for a period, newest first (rebuilt period starts,
    which hold no figures, left out)."""
    subject = snapshot_subject(session, actor, scope_key)
    if subject is None:
        return []
    level, entity_id = subject
    rows = session.scalars(
        select(ForecastSnapshot)
        .where(
            ForecastSnapshot.period == period.label,
            ForecastSnapshot.period_start == period.start,
            ForecastSnapshot.level == level,
            ForecastSnapshot.entity_id == entity_id,
            ForecastSnapshot.reconstructed.is_(False),
        )
        .order_by(ForecastSnapshot.taken_on.desc())
    )
    return [
        SnapshotFigures(
            taken_on=r.taken_on,
            period=r.period,
            level=r.level,
            entity_id=r.entity_id,
            entity=r.entity,
            at_period_start=r.at_period_start,
            target=r.target,
            won=r.won,
            commit=r.commit,
            best_case=r.best_case,
            pipeline=r.pipeline,
            weighted=r.weighted,
            forecast=r.forecast,
            open_pipeline=r.open_pipeline,
            probability=r.probability,
        )
        for r in rows
    ]
