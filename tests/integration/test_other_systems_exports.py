"""Other systems' exports go in without editing, with the shipped presets and the options only:
a Salesforce Opportunities report from a US user, a HubSpot and a Pipedrive deals export, a
Chinese Excel CSV in GBK. Their figures (read from core.progress.figures) equal a computation
made here from the files with the standard library alone. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import select

from core.models import Period
from core.org.access import SYSTEM_ACTOR
from core.progress import figures
from core.transfer import ColumnMapping, ImportFailed, import_table, load_preset, read_table
from core.transfer.file_notes import file_notes
from core.transfer.presets import propose_stages
from core.transfer.spreadsheets import to_csv_bytes
from db.schema import Customer, Deal, Person, Product, Stage
from tests.conftest import ROOT
from tests.transfer_support import counts, csv_table

ADMIN = SYSTEM_ACTOR
EXPORTS = ROOT / "tests" / "fixtures" / "exports"


def _salesforce(row: dict) -> tuple:
    status = {"Closed Won": "won", "Closed Lost": "lost"}.get(row["Stage"], "open")
    close = datetime.strptime(row["Close Date"], "%m/%d/%Y").date()
    return row["Opportunity ID"], Decimal(row["Amount"].replace(",", "")), status, close


def _hubspot(row: dict) -> tuple:
    status = {"Closed Won": "won", "Closed Lost": "lost"}.get(row["Deal Stage"], "open")
    close = date.fromisoformat(row["Close Date"][:10])
    return row["Record ID"], Decimal(row["Amount"]), status, close


def _pipedrive(row: dict) -> tuple:
    status = row["Deal - Status"].lower()
    when = row["Deal - Deal closed on"] if status != "open" else row["Deal - Expected close date"]
    return row["Deal - ID"], Decimal(row["Deal - Value"]), status, date.fromisoformat(when[:10])


SYSTEMS = {
    "salesforce": ("salesforce-opportunities-us.csv", _salesforce),
    "hubspot": ("hubspot-deals.csv", _hubspot),
    "pipedrive": ("pipedrive-deals.csv", _pipedrive),
}


def _expected(path, reader) -> dict[str, tuple]:
    """external id -> (amount, status, close or expected close), from the file alone."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {deal[0]: deal[1:] for deal in map(reader, csv.DictReader(handle))}


def _year(year: int) -> Period:
    return Period(
        label=str(year),
        kind="year",
        start=date(year, 1, 1),
        end=date(year, 12, 31),
        fiscal_year=year,
    )


def _preset_names(system: str) -> tuple[str, str]:
    return {
        "salesforce": ("salesforce-opportunity-owners", "salesforce-opportunities"),
        "hubspot": ("hubspot-deal-owners", "hubspot-deals"),
        "pipedrive": ("pipedrive-deal-owners", "pipedrive-deals"),
    }[system]


@pytest.mark.parametrize("system", list(SYSTEMS))
def test_each_shipped_preset_imports_its_systems_export_and_the_figures_add_up(session, system):
    filename, reader = SYSTEMS[system]
    path = EXPORTS / filename
    expected = _expected(path, reader)
    table = read_table(path.read_bytes(), path.name)
    owners_preset, deals_preset = _preset_names(system)
    _, owners = load_preset(session, owners_preset)
    people = import_table(
        session, ADMIN, "people", table, owners.model_copy(update={"email_domain": "acme.example"})
    )
    assert people.created == 3  # each owner once, as a rep
    kind, mapping = load_preset(session, deals_preset)
    result = import_table(session, ADMIN, kind, table, mapping)
    assert (result.created, result.updated) == (len(expected), 0)

    # every deal as the file says: amount, won/lost/open, and its one close date in the field
    # it means (closed_on for closed deals, expected_close for open ones)
    stored = {
        r.external_id: r
        for r in session.execute(
            select(
                Deal.external_id, Deal.amount, Deal.status, Deal.closed_on, Deal.expected_close
            ).where(Deal.external_id.in_(list(expected)))
        )
    }
    for external_id, (amount, status, close) in expected.items():
        deal = stored[external_id]
        assert (Decimal(deal.amount), str(deal.status)) == (amount, status), external_id
        if status == "open":
            assert (deal.closed_on, deal.expected_close) == (None, close), external_id
        else:
            assert deal.closed_on == close, external_id

    # the figures, from the one home of figures, against sums made here from the file
    ours = [Deal.external_id.in_(list(expected))]
    years = {close.year for _, _, close in expected.values()}
    for year in years:
        period = _year(year)
        won_by_month: dict[date, Decimal] = defaultdict(Decimal)
        lost = Decimal(0)
        for amount, status, close in expected.values():
            if close.year == year and status == "won":
                won_by_month[close.replace(day=1)] += amount
            if close.year == year and status == "lost":
                lost += amount
        assert {
            month: total
            for (_, month), total in figures.won_by_month(
                session, period, by="company", where=ours
            ).items()
        } == dict(won_by_month)
        lost_tally = figures.lost(session, period, by="company", where=ours)
        assert sum((t.amount for t in lost_tally.values()), Decimal(0)) == lost
    open_total = sum(a for a, s, _ in expected.values() if s == "open")
    open_tally = figures.all_open(session, by="company", where=ours)
    assert sum((t.amount for t in open_tally.values()), Decimal(0)) == open_total
    # importing the same export again changes nothing
    again = import_table(session, ADMIN, kind, table, mapping)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(expected))


def test_the_salesforce_preview_names_its_date_format_and_every_stage_gets_a_proposal(session):
    path = EXPORTS / "salesforce-opportunities-us.csv"
    table = read_table(path.read_bytes(), path.name)
    _, mapping = load_preset(session, "salesforce-opportunities")
    notes = file_notes("deals", table, mapping)
    assert notes.columns == {
        "Amount": "decimal point (1,234.50)",
        "Close Date": "month/day/year (8/15/2014)",
        "Created Date": "month/day/year (8/15/2014)",
    }
    # without the preset's stage map the proposals come from names and probabilities
    bare = mapping.model_copy(update={"values": {}})
    proposals = {k: (v.stage, v.why) for k, v in propose_stages(session, table, bare).items()}
    assert proposals == {
        "Closed Won": ("Won", "the name says won"),
        "Prospecting": ("Lead", "probability 10%"),
        "Proposal/Price Quote": ("Negotiation", "probability 75%"),
        "Closed Lost": ("Lost", "the name says lost"),
        "Needs Analysis": ("Qualified", "probability 20%"),
        "Negotiation/Review": ("Negotiation", "a word of the name"),
        "Value Proposition": ("Requirements and solution", "probability 50%"),
    }


def _rep_email(session) -> str:
    return session.scalar(
        select(Person.email).where(Person.role == "rep", Person.active.is_(True)).limit(1)
    )


GBK_EXPORT = """编号,客户,负责人,金额,阶段,关闭日期,创建日期
CN-1,杭州西湖龙井茶业有限公司,{rep},"￥1,234.50",赢单,2024年3月15日,2024/1/8
CN-2,成都熊猫竹制品有限公司,{rep},"￥60,000",赢单,2024年3月28日,2024/2/1
CN-3,哈尔滨冰雪装备集团,{rep},"￥8,800",输单,2024年2月27日,2024/1/22
CN-4,杭州西湖龙井茶业有限公司,{rep},"￥120,000",谈判,2024年6月30日,2024/3/5
"""
GBK_MAPPING = ColumnMapping(
    columns={
        "编号": "external_id",
        "客户": "customer",
        "负责人": "owner",
        "金额": "amount",
        "阶段": "stage",
        "关闭日期": "close_date",
        "创建日期": "created_on",
    },
    values={"stage": {"赢单": "Won", "输单": "Lost", "谈判": "Negotiation"}},
    create_missing_customers=True,
    similar_names_are_new=True,
)


def test_a_chinese_excel_csv_in_gbk_goes_in_and_its_figures_add_up(session):
    data = GBK_EXPORT.format(rep=_rep_email(session)).encode("gbk")
    table = read_table(data, "商机.csv")
    assert table.rows[0][1] == "杭州西湖龙井茶业有限公司"
    result = import_table(session, ADMIN, "deals", table, GBK_MAPPING)
    assert (result.created, result.updated) == (4, 0)
    ours = [Deal.external_id.like("CN-%")]
    won = figures.won(session, _year(2024), by="company", where=ours)
    assert [(t.amount, t.deals) for t in won.values()] == [(Decimal("61234.50"), 2)]
    lost = figures.lost(session, _year(2024), by="company", where=ours)
    assert [(t.amount, t.deals) for t in lost.values()] == [(Decimal("8800.00"), 1)]
    open_deal = session.execute(
        select(Deal.expected_close, Deal.created_on).where(Deal.external_id == "CN-4")
    ).one()
    assert tuple(open_deal) == (date(2024, 6, 30), date(2024, 3, 5))
    names = session.scalars(select(Customer.name).where(Customer.name.like("%茶业%"))).all()
    assert names == ["杭州西湖龙井茶业有限公司"]  # one customer, created once, name kept


def _deals_csv(rep: str, customer: str, rows: list[str], header: str) -> str:
    return header + "\n" + "\n".join(r.format(rep=rep, customer=customer) for r in rows)


def _customer(session) -> str:
    return session.scalar(select(Customer.name).order_by(Customer.id).limit(1))


def test_an_ambiguous_date_column_is_refused_naming_the_option_and_the_choice_reads_it(session):
    rep, customer = _rep_email(session), _customer(session)
    text = _deals_csv(
        rep,
        customer,
        ["A-1,{customer},{rep},10,Won,3/4/2024", "A-2,{customer},{rep},20,Won,5/6/2024"],
        "external_id,customer,owner,amount,stage,close_date",
    )
    before = counts(session)
    with pytest.raises(ImportFailed) as failure:
        import_table(session, ADMIN, "deals", csv_table(text))
    [problem] = failure.value.problems
    assert problem.row is None and problem.column == "close_date"
    assert "--date-format MDY or DMY" in problem.reason
    assert "'Date format' on the import page" in problem.reason
    assert counts(session) == before
    for choice, first in (("MDY", date(2024, 3, 4)), ("DMY", date(2024, 4, 3))):
        savepoint = session.begin_nested()
        import_table(session, ADMIN, "deals", csv_table(text), ColumnMapping(date_format=choice))
        closed = session.scalar(select(Deal.closed_on).where(Deal.external_id == "A-1"))
        assert closed == first
        savepoint.rollback()


def test_amounts_with_a_decimal_comma_are_found_and_a_mixed_column_is_refused(session):
    rep, customer = _rep_email(session), _customer(session)
    header = "external_id;customer;owner;amount;stage;closed_on"
    good = _deals_csv(
        rep,
        customer,
        [
            "C-1;{customer};{rep};1.234,50;Won;2024-03-01",
            "C-2;{customer};{rep};12,5;Won;2024-03-02",
        ],
        header,
    )
    import_table(session, ADMIN, "deals", csv_table(good))
    amounts = dict(
        session.execute(
            select(Deal.external_id, Deal.amount).where(Deal.external_id.like("C-%"))
        ).all()
    )
    assert amounts == {"C-1": Decimal("1234.50"), "C-2": Decimal("12.50")}
    mixed = _deals_csv(
        rep,
        customer,
        ["M-1;{customer};{rep};12,5;Won;2024-03-01", "M-2;{customer};{rep};12.5;Won;2024-03-02"],
        header,
    )
    with pytest.raises(ImportFailed) as failure:
        import_table(session, ADMIN, "deals", csv_table(mixed))
    assert "--decimal-comma" in failure.value.problems[0].reason
    # "60.000" with the option is sixty thousand; negative amounts stay refused
    whole = _deals_csv(
        rep,
        customer,
        ["W-1;{customer};{rep};60.000;Won;2024-03-01", "W-2;{customer};{rep};-5;Won;2024-03-01"],
        header,
    )
    with pytest.raises(ImportFailed) as failure:
        import_table(session, ADMIN, "deals", csv_table(whole), ColumnMapping(decimal_comma=True))
    assert [(p.row, p.column, p.reason) for p in failure.value.problems] == [
        (3, "amount", "must not be negative")
    ]


def test_one_close_date_fills_closed_on_or_expected_close_and_a_conflict_is_refused(session):
    rep, customer = _rep_email(session), _customer(session)
    header = "external_id,customer,owner,amount,stage,close_date"
    first = _deals_csv(rep, customer, ["K-1,{customer},{rep},100,Lead,2031-05-31"], header)
    import_table(session, ADMIN, "deals", csv_table(first))
    deal = session.execute(
        select(Deal.expected_close, Deal.closed_on).where(Deal.external_id == "K-1")
    ).one()
    assert tuple(deal) == (date(2031, 5, 31), None)
    # the next export has it won: the same column is now its closing date
    won = _deals_csv(rep, customer, ["K-1,{customer},{rep},100,Won,2031-04-15"], header)
    result = import_table(session, ADMIN, "deals", csv_table(won))
    assert result.updated == 1
    deal = session.execute(
        select(Deal.closed_on, Deal.status, Stage.name)
        .join(Stage, Stage.id == Deal.stage_id)
        .where(Deal.external_id == "K-1")
    ).one()
    assert (deal.closed_on, str(deal.status), deal.name) == (date(2031, 4, 15), "won", "Won")
    conflict = _deals_csv(
        rep,
        customer,
        ["K-2,{customer},{rep},100,Won,2031-04-15,2031-04-16"],
        header + ",closed_on",
    )
    with pytest.raises(ImportFailed) as failure:
        import_table(session, ADMIN, "deals", csv_table(conflict))
    assert [(p.column, p.reason) for p in failure.value.problems] == [
        ("close_date", "differs from closed_on (2031-04-16)")
    ]


def test_a_status_column_decides_won_and_lost_and_contradictions_are_refused(session):
    rep, customer = _rep_email(session), _customer(session)
    header = "external_id,customer,owner,amount,stage,status,closed_on"
    rows = [
        "S-1,{customer},{rep},100,Negotiation,Won,2031-04-15",
        "S-2,{customer},{rep},100,Evaluation,lost,2031-04-16",
        "S-3,{customer},{rep},100,Evaluation,open,",
    ]
    import_table(session, ADMIN, "deals", csv_table(_deals_csv(rep, customer, rows, header)))
    stages = dict(
        session.execute(
            select(Deal.external_id, Stage.name)
            .join(Stage, Stage.id == Deal.stage_id)
            .where(Deal.external_id.like("S-%"))
        ).all()
    )
    assert stages == {"S-1": "Won", "S-2": "Lost", "S-3": "Evaluation"}
    bad = _deals_csv(rep, customer, ["S-4,{customer},{rep},100,Won,open,2031-04-15"], header)
    with pytest.raises(ImportFailed) as failure:
        import_table(session, ADMIN, "deals", csv_table(bad))
    assert [(p.column, p.reason) for p in failure.value.problems] == [
        ("status", "the status is open but the stage is Won")
    ]


def test_a_file_in_another_encoding_and_delimiter_imports_the_same_rows(session):
    text = (
        "name;product_line;list_price\n"
        "Café Crème Maschine;Küche;1.299,00\nÅngström Lüfter;Küche;89,90\n"
    )
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "cp1252"):
        savepoint = session.begin_nested()
        table = read_table(text.encode(encoding), "produkte.csv")
        import_table(session, ADMIN, "products", table)
        prices = dict(
            session.execute(
                select(Product.name, Product.list_price).where(Product.product_line == "Küche")
            ).all()
        )
        assert prices == {
            "Café Crème Maschine": Decimal("1299.00"),
            "Ångström Lüfter": Decimal("89.90"),
        }, encoding
        savepoint.rollback()


def test_exports_stay_utf8_with_a_byte_order_mark():
    data = to_csv_bytes(pd.DataFrame({"name": ["北京华为技术有限公司", "Müller"]}))
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[1:] == ["北京华为技术有限公司", "Müller"]
    assert read_table(data, "export.csv").rows == [["北京华为技术有限公司"], ["Müller"]]
