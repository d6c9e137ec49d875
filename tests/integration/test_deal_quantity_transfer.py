"""The deals file's quantity column: whole units of at least 1 (empty: 1), written by the
export and read back by the import unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.org.access import SYSTEM_ACTOR
from core.transfer import ImportFailed, Kind, export_frame, import_table, read_table
from core.transfer.spreadsheets import to_csv_bytes, to_excel_bytes
from db.schema import Customer, Deal, Person

IDS = ["qty-a", "qty-b", "qty-c"]


def _customer_and_owner(session) -> tuple[str, str]:
    return session.execute(
        select(Customer.name, Person.email)
        .join(Person, Person.id == Customer.owner_id)
        .where(Person.email.is_not(None), Person.active.is_(True))
        .order_by(Customer.id)
        .limit(1)
    ).one()


def _file(session, quantities: list[str]) -> bytes:
    customer, owner = _customer_and_owner(session)
    lines = ["external_id,customer,owner,amount,quantity,stage,created_on,expected_close"]
    for external_id, quantity in zip(IDS, quantities, strict=True):
        lines.append(
            f'{external_id},"{customer}",{owner},1200.00,{quantity},Lead,2026-01-05,2026-06-30'
        )
    return "\n".join(lines).encode()


def _quantities(session) -> dict[str, int]:
    return dict(
        session.execute(
            select(Deal.external_id, Deal.quantity).where(Deal.external_id.in_(IDS))
        ).all()
    )


def test_quantities_are_imported_and_an_empty_one_is_one(session):
    result = import_table(
        session, SYSTEM_ACTOR, Kind.DEALS, read_table(_file(session, ["3", "", "12"]), "d.csv")
    )
    assert result.created == 3
    assert _quantities(session) == {"qty-a": 3, "qty-b": 1, "qty-c": 12}


@pytest.mark.parametrize("excel", [False, True], ids=["csv", "xlsx"])
def test_exported_quantities_import_back_unchanged(session, excel):
    import_table(
        session, SYSTEM_ACTOR, Kind.DEALS, read_table(_file(session, ["3", "", "12"]), "d.csv")
    )
    exported = export_frame(session, SYSTEM_ACTOR, Kind.DEALS)
    ours = exported[exported["external_id"].isin(IDS)].set_index("external_id")
    assert ours["quantity"].to_dict() == {"qty-a": "3", "qty-b": "1", "qty-c": "12"}
    # every exported deal says its quantity; the demo's other deals count one unit each or more
    assert exported["quantity"].map(lambda q: int(q) >= 1).all()
    data = to_excel_bytes(exported, sheet="deals") if excel else to_csv_bytes(exported)
    again = import_table(
        session, SYSTEM_ACTOR, Kind.DEALS, read_table(data, "deals.xlsx" if excel else "deals.csv")
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(exported))
    assert export_frame(session, SYSTEM_ACTOR, Kind.DEALS).equals(exported)


def test_a_changed_quantity_updates_the_deal_and_its_version(session):
    import_table(
        session, SYSTEM_ACTOR, Kind.DEALS, read_table(_file(session, ["3", "", "12"]), "d.csv")
    )
    version = session.scalar(select(Deal.version).where(Deal.external_id == "qty-a"))
    result = import_table(
        session, SYSTEM_ACTOR, Kind.DEALS, read_table(_file(session, ["5", "2", "12"]), "d.csv")
    )
    assert (result.updated, result.unchanged) == (2, 1)
    session.expire_all()
    assert _quantities(session) == {"qty-a": 5, "qty-b": 2, "qty-c": 12}
    assert session.scalar(select(Deal.version).where(Deal.external_id == "qty-a")) == version + 1


@pytest.mark.parametrize("bad", ["0", "-2", "1.5", "two", "1000001"])
def test_a_quantity_that_is_not_a_whole_number_of_at_least_one_is_refused(session, bad):
    data = _file(session, ["3", bad, "12"])
    with pytest.raises(ImportFailed) as refused:
        import_table(session, SYSTEM_ACTOR, Kind.DEALS, read_table(data, "d.csv"))
    assert [(p.row, p.column) for p in refused.value.problems] == [(3, "quantity")]
    assert _quantities(session) == {}
