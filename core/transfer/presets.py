"""Saved mappings ("presets") for importing another system's export again with one command."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationFailed
from core.models import Actor
from core.org import audit
from core.transfer.formats import Kind
from core.transfer.importing import ensure_can_import
from core.transfer.reading import ColumnMapping
from db.schema import ImportPreset


def save_preset(
    session: Session, actor: Actor, name: str, kind: Kind | str, mapping: ColumnMapping
) -> None:
    """Save (or replace) a named mapping for one kind; whoever may import the kind may save."""
    kind = Kind(kind)
    ensure_can_import(actor, kind)
    name = name.strip()
    if not name:
        raise ValidationFailed("A preset needs a name.")
    preset = session.scalar(select(ImportPreset).where(ImportPreset.name == name))
    data = mapping.model_dump(mode="json")
    if preset is None:
        preset = ImportPreset(name=name, kind=kind.value, mapping=data)
        session.add(preset)
    else:
        preset.kind, preset.mapping = kind.value, data
    session.flush()
    audit.record(session, actor, "save", "import_preset", preset.id, after={"name": name})


def load_preset(session: Session, name: str) -> tuple[Kind, ColumnMapping]:
    preset = session.scalar(select(ImportPreset).where(ImportPreset.name == name.strip()))
    if preset is None:
        known = ", ".join(session.scalars(select(ImportPreset.name).order_by(ImportPreset.name)))
        raise NotFound(f"No import preset named '{name}'. Saved presets: {known or 'none'}.")
    return Kind(preset.kind), ColumnMapping.model_validate(preset.mapping)


def preset_names(session: Session, kind: Kind | str | None = None) -> list[str]:
    query = select(ImportPreset.name).order_by(ImportPreset.name)
    if kind is not None:
        query = query.where(ImportPreset.kind == Kind(kind).value)
    return list(session.scalars(query))
