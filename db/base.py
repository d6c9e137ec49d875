"""Declarative base: money as Numeric, a constraint naming convention for migrations."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, cast

from sqlalchemy import JSON, Date, DateTime, MetaData, Numeric, String, Table
from sqlalchemy.orm import DeclarativeBase, mapped_column

import db.text_safety  # noqa: F401  (registers: NUL characters never reach the database)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(14, 2)
"""Every amount of money: exact decimal with cents, never float."""

str_name = Annotated[str, mapped_column(String(200))]
intpk = Annotated[int, mapped_column(primary_key=True)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        Decimal: Money,
        date: Date,
        datetime: DateTime(timezone=False),
        dict[str, Any]: JSON,
        list[str]: JSON,
        str: String(200),
    }


def table_of(model: type[Base]) -> Table:
    """The table a model is mapped to. `__table__` is typed as any FROM clause; for our
    declarative models it is always a Table (what bulk inserts and Core updates take)."""
    return cast(Table, model.__table__)
