"""Which lost reasons of a deals file the import page asks to map: those not on the list once
the mapping's value map is applied, compared ignoring case and repeated spaces."""

from __future__ import annotations

from sqlalchemy import delete, update

from core.pipeline.lost_reasons import active_reason_names
from core.transfer import read_table
from core.transfer.reading import ColumnMapping
from core.transfer.reason_mapping import unlisted_lost_reasons
from db.schema import Deal, LostReason


def _table(reasons: list[str]):
    lines = ["id,why"] + [f'{i},"{r}"' for i, r in enumerate(reasons)]
    return read_table("\n".join(lines).encode(), "d.csv")


def test_only_wordings_off_the_list_are_asked_once_each_in_file_order(session):
    listed = active_reason_names(session)
    assert len(listed) >= 2
    table = _table(["Went quiet", f"  {listed[0].upper()}  ", "went QUIET", "", "Competitor 67"])
    mapping = ColumnMapping(columns={"id": "external_id", "why": "lost_reason"})
    assert unlisted_lost_reasons(session, table, mapping) == ["Went quiet", "Competitor 67"]


def test_the_mappings_value_map_takes_a_wording_off_the_question(session):
    listed = active_reason_names(session)
    table = _table(["Went quiet", "Competitor 67"])
    mapping = ColumnMapping(
        columns={"id": "external_id", "why": "lost_reason"},
        values={"lost_reason": {"competitor 67": listed[1]}},
    )
    assert unlisted_lost_reasons(session, table, mapping) == ["Went quiet"]


def test_nothing_is_asked_without_a_lost_reason_column_or_while_the_list_is_empty(session):
    table = _table(["Went quiet"])
    assert unlisted_lost_reasons(session, table, ColumnMapping(columns={"id": "external_id"})) == []
    session.execute(update(Deal).values(lost_reason_id=None))
    session.execute(delete(LostReason))
    mapping = ColumnMapping(columns={"id": "external_id", "why": "lost_reason"})
    assert unlisted_lost_reasons(session, table, mapping) == []
