"""Mappings ("presets") for importing another system's export with one command: the ones
shipped with the product (Salesforce, HubSpot, Pipedrive; core/transfer/preset_files/) and
the ones users save. A saved preset with a shipped one's name is used instead of it."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationFailed
from core.i18n import N_, _
from core.models import Actor
from core.org import audit
from core.transfer.formats import Kind
from core.transfer.importing import ensure_can_import
from core.transfer.kinds.deals import stage_table
from core.transfer.reading import AnyTable, ColumnMapping
from core.transfer.stage_suggestions import (
    OurStage,
    Suggestion,
    stage_probabilities,
    suggest_stage,
)
from db.schema import ImportPreset

PRESET_FILES = Path(__file__).with_name("preset_files")
SHIPPED_TEXTS = (
    N_("HubSpot: deals export (owners as reps)"),
    N_(
        "The same HubSpot deals export: each 'Deal owner' once, as a rep at "
        "the company level. Give the email domain (--email-domain)."
    ),
    N_("HubSpot: deals export"),
    N_(
        "HubSpot CRM > Deals > Export (properties in the view, CSV or Excel). "
        "Columns as HubSpot names the default deal properties: Record ID, Deal "
        "Name, Deal Stage, Close Date, Deal owner, Amount, Create Date, "
        "Associated Company."
    ),
    N_("Pipedrive: deals export (owners as reps)"),
    N_(
        "The same Pipedrive deals export: each 'Deal - Owner' once, as a rep "
        "at the company level. Give the email domain (--email-domain)."
    ),
    N_("Pipedrive: deals export"),
    N_(
        "Pipedrive > Deals list view > Export filter results (CSV or Excel). "
        "Columns as Pipedrive writes them, 'Deal - ' followed by the field's "
        "name: ID, Title, Value, Organization, Owner, Stage, Status, Deal "
        "created, Expected close date, Deal closed on."
    ),
    N_("Salesforce: Opportunities report (deals)"),
    N_(
        "Salesforce Opportunities report (Lightning or Classic), Export > "
        "Details Only, CSV or Excel. Columns as named in Salesforce's standard "
        "Opportunities report type; add 'Opportunity ID' to the report, it is "
        "the match key."
    ),
    N_("Salesforce: Opportunities report (owners as reps)"),
    N_(
        "The same Salesforce Opportunities report: each 'Opportunity Owner' "
        "once, as a rep at the company level. Give the email domain "
        "(--email-domain)."
    ),
)
"""The titles and sources of the shipped presets (preset_files/*.json), marked for translation;
a test keeps this list equal to the files."""


class ShippedPreset(BaseModel):
    """A mapping that ships with the product, for one kind of another system's export."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: Kind
    title: str
    source: str
    """Which export, and which of its columns, the mapping was written from."""
    mapping: ColumnMapping

    @property
    def shown_title(self) -> str:
        """The title in the reader's language."""
        return _(self.title)

    @property
    def shown_source(self) -> str:
        """The source in the reader's language."""
        return _(self.source)


@cache
def shipped_presets() -> dict[str, ShippedPreset]:
    """The presets shipped with the product, by name."""
    out = {}
    for path in sorted(PRESET_FILES.glob("*.json")):
        preset = ShippedPreset.model_validate(json.loads(path.read_text(encoding="utf-8")))
        out[preset.name] = preset
    return out


def save_preset(
    session: Session, actor: Actor, name: str, kind: Kind | str, mapping: ColumnMapping
) -> None:
    """Save (or replace) a named mapping for one kind; whoever may import the kind may save."""
    kind = Kind(kind)
    ensure_can_import(actor, kind)
    name = name.strip()
    if not name:
        raise ValidationFailed(_("A preset needs a name."))
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
    """A saved preset by name, else a shipped one."""
    preset = session.scalar(select(ImportPreset).where(ImportPreset.name == name.strip()))
    if preset is None:
        shipped = shipped_presets().get(name.strip())
        if shipped is not None:
            return shipped.kind, shipped.mapping
        known = ", ".join(session.scalars(select(ImportPreset.name).order_by(ImportPreset.name)))
        ready = ", ".join(shipped_presets())
        raise NotFound(
            _(
                "No import preset named '{name}'. Saved presets: {value}; shipped presets: {ready}."
            ).format(name=name, value=known or "none", ready=ready)
        )
    return Kind(preset.kind), ColumnMapping.model_validate(preset.mapping)


def preset_names(session: Session, kind: Kind | str | None = None) -> list[str]:
    """The saved presets (of a kind), then the shipped ones not replaced by a saved one."""
    query = select(ImportPreset.name).order_by(ImportPreset.name)
    if kind is not None:
        query = query.where(ImportPreset.kind == Kind(kind).value)
    saved = list(session.scalars(query))
    shipped = [
        name
        for name, preset in shipped_presets().items()
        if name not in saved and (kind is None or preset.kind == Kind(kind))
    ]
    return saved + shipped


def _probability_column(header: list[str]) -> int | None:
    for index, name in enumerate(header):
        if "probab" in name.lower() or "可能性" in name or "概率" in name:
            return index
    return None


def propose_stages(
    session: Session, table: AnyTable, mapping: ColumnMapping
) -> dict[str, Suggestion]:
    """Our stage for every stage name in the file's stage column, for the user to confirm:
    the mapping's own stage map where it names one of our stages, else a suggestion by name
    and by the probability column (a column whose name says probability), see
    core/transfer/stage_suggestions.py. Empty when no column is mapped to stage."""
    lowered = {k.strip().lower(): v for k, v in mapping.columns.items()}
    header = [h.strip().lower() for h in table.header]
    source = next((i for i, h in enumerate(header) if lowered.get(h, h) == "stage"), None)
    if source is None:
        return {}
    ours = [OurStage(*row) for row in stage_table(session)]
    names = {s.name.lower(): s.name for s in ours}
    probability = _probability_column(table.header)
    pairs = (
        (row[source], row[probability] if probability is not None else "")
        for row in table.iter_rows()
    )
    found = stage_probabilities(pairs, mapping.decimal_comma)
    mapped = {k.strip().lower(): v for k, v in mapping.stage_map.items()}
    out: dict[str, Suggestion] = {}
    for name, percent in found.items():
        target = names.get(mapped.get(name.lower(), "").lower())
        if target is not None:
            out[name] = Suggestion(target, _("the preset's stage map"))
        else:
            out[name] = suggest_stage(name, percent, ours)
        if len(out) >= 200:
            break
    return out
