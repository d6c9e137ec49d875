"""Bring your own data: canonical formats, column mapping, import (all or nothing) and export.

The formats are documented in docs/import.md.
"""

from core.transfer.exporting import ensure_can_export, export_frame
from core.transfer.formats import Kind, columns, required_columns
from core.transfer.import_context import ImportResult
from core.transfer.importing import ensure_can_import, import_table, importable_kinds
from core.transfer.kinds.deals import stage_names
from core.transfer.presets import load_preset, preset_names, save_preset
from core.transfer.reading import (
    ColumnMapping,
    ImportFailed,
    Problem,
    Table,
    email_from_name,
    read_table,
)

__all__ = [
    "ColumnMapping",
    "ImportFailed",
    "ImportResult",
    "Kind",
    "Problem",
    "Table",
    "columns",
    "email_from_name",
    "ensure_can_export",
    "ensure_can_import",
    "export_frame",
    "import_table",
    "importable_kinds",
    "load_preset",
    "preset_names",
    "read_table",
    "required_columns",
    "save_preset",
    "stage_names",
]
