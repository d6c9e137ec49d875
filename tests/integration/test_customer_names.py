"""Customer names in every script against SQLite and PostgreSQL: creating, searching,
duplicate checks, imports, and the migration that recomputes the stored keys."""

from __future__ import annotations

import os

import pytest
from alembic import command
from sqlalchemy import select, text

from core.customers.archive import CustomerFilters, count_customers, search_customers
from core.customers.duplicates import LikelyDuplicate, find_duplicates
from core.customers.editing import CustomerInput, create_customer
from core.org.access import SYSTEM_ACTOR
from core.transfer import ColumnMapping, ImportFailed, import_table
from db.engine import alembic_config, make_engine
from db.schema import Customer, Deal
from tests import factories as f
from tests.support import fresh_postgres, skip_or_fail
from tests.transfer_support import counts, csv_table

ADMIN = SYSTEM_ACTOR


@pytest.fixture
def beijing(session):
    region = f.region(session, "Beijing")
    rep = f.person(session, "rep", region)
    director = f.actor(session, f.person(session, "director"))
    return region, rep, director


def _create(session, actor, name, region, *, confirmed=False, **extra) -> Customer:
    data = CustomerInput(name=name, region_id=region.id, **extra)
    return session.get(Customer, create_customer(session, actor, data, confirmed=confirmed))


def _names(frame) -> list[str]:
    return sorted(frame["name"])


def test_a_chinese_name_is_created_and_found_by_any_part_of_it(session, beijing):
    region, rep, director = beijing
    huawei = _create(session, director, "北京华为技术有限公司", region, owner_id=rep.id)
    _create(session, director, "深圳腾讯科技", region, owner_id=rep.id)
    _create(session, director, "トヨタ自動車株式会社", region, owner_id=rep.id)
    _create(session, director, "ООО «Ромашка»", region, owner_id=rep.id)
    assert session.get(Customer, huawei.id).normalized_name == "北京华为技术"
    for part, expected in [
        ("华为", ["北京华为技术有限公司"]),
        ("为技", ["北京华为技术有限公司"]),
        ("腾讯", ["深圳腾讯科技"]),
        ("トヨタ", ["トヨタ自動車株式会社"]),
        ("ромашк", ["ООО «Ромашка»"]),
    ]:
        filters = CustomerFilters(search=part, region_id=region.id)
        assert _names(search_customers(session, director, filters)) == expected, part
        assert count_customers(session, director, filters) == len(expected)
    everywhere = CustomerFilters(search="华为")
    assert _names(search_customers(session, director, everywhere)) == ["北京华为技术有限公司"]


def test_similar_chinese_names_are_likely_duplicates_and_different_ones_are_not(
    session, beijing
):
    region, rep, director = beijing
    _create(session, director, "北京华为技术有限公司", region, owner_id=rep.id)
    near = find_duplicates(session, "北京华为", region.id)
    assert [(c.name, c.exact) for c in near] == [("北京华为技术有限公司", False)]
    assert find_duplicates(session, "深圳腾讯科技", region.id) == []
    with pytest.raises(LikelyDuplicate, match="北京华为技术有限公司"):
        _create(session, director, "北京华为", region, owner_id=rep.id)
    with pytest.raises(LikelyDuplicate, match="already exists"):
        _create(session, director, "北京华为技术", region, owner_id=rep.id, confirmed=True)
    tencent = _create(session, director, "深圳腾讯科技", region, owner_id=rep.id)
    assert tencent.normalized_name == "深圳腾讯科技"


def test_two_chinese_names_in_one_import_are_two_customers(session, beijing):
    text_ = "name,region\n北京华为技术有限公司,Beijing\n深圳腾讯科技,Beijing\n"
    result = import_table(session, ADMIN, "customers", csv_table(text_))
    assert (result.created, result.updated) == (2, 0)
    keys = session.scalars(
        select(Customer.normalized_name).where(Customer.region_id == beijing[0].id)
    ).all()
    assert sorted(keys) == ["北京华为技术", "深圳腾讯科技"]


def test_importing_another_chinese_name_creates_a_customer_and_renames_none(session, beijing):
    first, second = "name,region\n北京华为技术有限公司,Beijing", "name,region\n深圳腾讯科技,Beijing"
    import_table(session, ADMIN, "customers", csv_table(first))
    result = import_table(session, ADMIN, "customers", csv_table(second))
    assert (result.created, result.updated) == (1, 0)
    names = session.scalars(select(Customer.name).where(Customer.region_id == beijing[0].id))
    assert sorted(names) == ["北京华为技术有限公司", "深圳腾讯科技"]


def test_an_import_updates_only_the_same_key_and_refuses_a_similar_one(session, beijing):
    import_table(
        session,
        ADMIN,
        "customers",
        csv_table("name,region,industry\n北京华为技术有限公司,Beijing,Telecom"),
    )
    same = import_table(
        session, ADMIN, "customers", csv_table("name,region,industry\n北京华为技术,Beijing,Cloud")
    )
    assert (same.created, same.updated) == (0, 1)
    before = counts(session)
    with pytest.raises(ImportFailed) as failure:
        import_table(session, ADMIN, "customers", csv_table("name,region\n北京华为,Beijing"))
    assert counts(session) == before
    [problem] = failure.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "name", "北京华为")
    assert "北京华为技术" in problem.reason and "Beijing" in problem.reason
    assert "looks like the existing customer" in problem.reason
    decided = import_table(
        session,
        ADMIN,
        "customers",
        csv_table("name,region\n北京华为,Beijing"),
        ColumnMapping(similar_names_are_new=True),
    )
    assert decided.created == 1
    names = session.scalars(select(Customer.name).where(Customer.region_id == beijing[0].id))
    assert sorted(names) == ["北京华为", "北京华为技术"]


def test_an_import_refuses_a_name_that_is_only_a_legal_form(session, beijing):
    with pytest.raises(ImportFailed) as failure:
        import_table(session, ADMIN, "customers", csv_table("name,region\n有限公司,Beijing\n"))
    [problem] = failure.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "name", "有限公司")
    assert "only a legal form" in problem.reason


def test_a_deal_import_resolves_chinese_customers_by_exact_key_only(session, beijing):
    region, rep, director = beijing
    huawei = _create(session, director, "北京华为技术有限公司", region, owner_id=rep.id)
    _create(session, director, "深圳腾讯科技", region, owner_id=rep.id)
    header = "external_id,customer,owner,amount,stage,created_on,expected_close"
    good = f"{header}\nZ-1,北京华为技术,{rep.email},100,Lead,2025-01-10,2025-06-30"
    assert import_table(session, ADMIN, "deals", csv_table(good)).created == 1
    deal = session.scalar(select(Deal).where(Deal.external_id == "Z-1"))
    assert deal.customer_id == huawei.id
    similar = f"{header}\nZ-2,北京华为,{rep.email},100,Lead,2025-01-10,2025-06-30"
    with pytest.raises(ImportFailed) as failure:
        import_table(
            session,
            ADMIN,
            "deals",
            csv_table(similar),
            ColumnMapping(create_missing_customers=True),
        )
    [problem] = failure.value.problems
    assert problem.column == "customer" and "北京华为技术有限公司" in problem.reason


# --- the migration ------------------------------------------------------------------------


def _old_database(engine):
    """Migrated up to the revision before the new keys, holding customers with old keys."""
    config = alembic_config(engine)
    command.upgrade(config, "0009_forecast_snapshots")
    rows = [
        # id, name, region, key as the old ASCII folding stored it
        (1, "北京华为技术有限公司", 1, ""),
        (2, "深圳腾讯科技", 2, ""),
        (3, "Straße Logistik", 1, "strae logistik"),
        (4, "Strasse Logistik", 1, "strasse logistik"),
        (5, "Müller GmbH", 1, "muller"),
        (6, "ΟΔΟΣ Α.Ε.", 2, "a e"),
    ]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO region (id, name) VALUES (1, 'North'), (2, 'South')"))
        for cid, name, region, key in rows:
            conn.execute(
                text(
                    "INSERT INTO customer (id, name, normalized_name, region_id, status, "
                    "annual_potential) VALUES (:id, :name, :key, :region, 'active', 0)"
                ),
                {"id": cid, "name": name, "key": key, "region": region},
            )
    return config


def _migrate_old_keys(engine):
    config = _old_database(engine)
    command.upgrade(config, "head")
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, normalized_name FROM customer")).all())


EXPECTED_KEYS = {
    1: "北京华为技术",
    2: "深圳腾讯科技",
    3: "strae logistik",  # would now be "strasse logistik", which customer 4 holds: kept
    4: "strasse logistik",
    5: "muller",
    6: "οδοσ αε",
}


def test_the_migration_recomputes_every_key_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    try:
        assert _migrate_old_keys(engine) == EXPECTED_KEYS
    finally:
        engine.dispose()


def test_the_migration_recomputes_every_key_on_postgresql():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        skip_or_fail("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    engine = fresh_postgres(url, "name_keys")
    try:
        assert _migrate_old_keys(engine) == EXPECTED_KEYS
    finally:
        engine.dispose()


def test_an_import_refuses_a_latin_name_only_similar_to_an_existing_one(session, beijing):
    region, rep, director = beijing
    _create(session, director, "Nordwind Logistik GmbH", region, owner_id=rep.id)
    with pytest.raises(ImportFailed) as failure:
        import_table(
            session, ADMIN, "customers", csv_table("name,region\nNordwind Logistics,Beijing")
        )
    [problem] = failure.value.problems
    assert "'Nordwind Logistik GmbH' (Beijing)" in problem.reason
    same = import_table(
        session, ADMIN, "customers", csv_table("name,region\nNORDWIND LOGISTIK,Beijing")
    )
    assert (same.created, same.updated) == (0, 1)
