"""What the import found out about a file before reading its rows: the encoding and delimiter
of a CSV file, and how each date and amount column is written. Shown by the page's preview
and the command line, so the user can see (and override) how the file will be read."""

from __future__ import annotations

from pydantic import BaseModel

from core.i18n import N_, _
from core.transfer.dates import DateFormat
from core.transfer.encodings import DELIMITERS, encoding_label
from core.transfer.formats import Kind
from core.transfer.reading import AnyTable, ColumnMapping, MappedRows, Problem


def _usual() -> tuple[str, str]:
    """How our own format writes dates and amounts, in the current language."""
    return (DateFormat.ISO.example, _("decimal point"))


SEPARATED = {
    "comma": N_("The file is {encoding} text separated by commas."),
    "semicolon": N_("The file is {encoding} text separated by semicolons."),
    "tab": N_("The file is {encoding} text separated by tabs."),
}
"""The file's first note by its delimiter (the delimiter names are those of DELIMITERS)."""


class FileNotes(BaseModel):
    encoding: str | None = None
    """As the preview names it ("GB18030 (GBK)"); None for an Excel workbook."""
    delimiter: str | None = None
    """comma, semicolon or tab; None for an Excel workbook."""
    columns: dict[str, str] = {}
    """File column -> how its dates or amounts are written."""
    problems: list[Problem] = []
    """Columns that cannot be read one way (the import refuses the file for them)."""

    def lines(self, unusual_only: bool = False) -> list[str]:
        """The notes as sentences, one per line; `unusual_only` leaves out what a file in
        our own format has (UTF-8, commas, ISO dates, decimal points)."""
        out = []
        usual = (self.encoding or "").startswith("UTF-8") and self.delimiter == "comma"
        if self.encoding and self.delimiter and not (unusual_only and usual):
            text = SEPARATED.get(self.delimiter, SEPARATED["comma"])
            out.append(_(text).format(encoding=self.encoding))
        for column, how in self.columns.items():
            if not (unusual_only and how.startswith(_usual())):
                out.append(_("Column '{column}' is read as {how}.").format(column=column, how=how))
        return out


def file_notes(kind: Kind | str, table: AnyTable, mapping: ColumnMapping) -> FileNotes:
    """How the import will read this file with this mapping (a pass over the file)."""
    rows = MappedRows(Kind(kind), table, mapping)
    found = rows.survey.found()
    named = {field: rows.table.header[index] for field, index in rows.sources.items()}
    columns = {named.get(field, field): how for field, how in found.items()}
    fmt = getattr(table, "format", None)
    return FileNotes(
        encoding=encoding_label(fmt.encoding) if fmt else None,
        delimiter=DELIMITERS.get(fmt.delimiter, repr(fmt.delimiter)) if fmt else None,
        columns=columns,
        problems=[p for p in rows.problems if p.row is None],
    )
