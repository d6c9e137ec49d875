"""lost reasons the admin keeps, a deal's lost reason chosen from them with an optional
note, and a deal's quantity (default 1)

The list starts with the reasons already on lost deals: each distinct reason (trimmed, case
ignored, spelled as most deals spell it) becomes a list entry, ordered by how many deals were
lost for it, and those deals point at it. The free-text column stays: it keeps the wording of
the reason on the day the deal was lost. On SQLite the deal table is rebuilt (a foreign key and
a CHECK constraint cannot be added in place) and keeps its AUTOINCREMENT.

Revision ID: 0013_lost_reasons
Revises: 0012_person_functions
Create Date: 2026-12-01 14:05:00
"""

from collections import Counter, defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0013_lost_reasons"
down_revision = "0012_person_functions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lost_reason",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lost_reason")),
        sa.UniqueConstraint("name", name=op.f("uq_lost_reason_name")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("deal", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(
            sa.Column("quantity", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
        batch.add_column(sa.Column("lost_reason_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("lost_note", sa.Text(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_deal_lost_reason_id_lost_reason"), "lost_reason", ["lost_reason_id"], ["id"]
        )
        batch.create_check_constraint(op.f("ck_deal_quantity_positive"), "quantity >= 1")
    _list_existing_reasons()


def _list_existing_reasons() -> None:
    """Every distinct reason on the deals becomes a list entry, and the deals point at it."""
    bind = op.get_bind()
    spellings = bind.execute(
        sa.text(
            "SELECT lost_reason, COUNT(*) FROM deal WHERE lost_reason IS NOT NULL "
            "GROUP BY lost_reason"
        )
    ).all()
    by_key: dict[str, Counter] = defaultdict(Counter)
    for raw, count in spellings:
        text = " ".join(str(raw).split())
        if text:
            by_key[text.casefold()][text] += int(count)
    ranked = sorted(by_key.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    reason_table = sa.table(
        "lost_reason",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("position", sa.Integer),
    )
    for position, (key, counts) in enumerate(ranked, start=1):
        name = counts.most_common(1)[0][0]
        bind.execute(reason_table.insert().values(name=name, active=True, position=position))
        reason_id = bind.execute(
            sa.select(reason_table.c.id).where(reason_table.c.name == name)
        ).scalar_one()
        for raw, _count in spellings:
            if " ".join(str(raw).split()).casefold() == key:
                bind.execute(
                    sa.text("UPDATE deal SET lost_reason_id = :id WHERE lost_reason = :raw"),
                    {"id": reason_id, "raw": raw},
                )


def downgrade() -> None:
    # The free-text column still holds every deal's reason as worded; the notes are dropped.
    with op.batch_alter_table("deal", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_constraint(op.f("ck_deal_quantity_positive"), type_="check")
        batch.drop_constraint(op.f("fk_deal_lost_reason_id_lost_reason"), type_="foreignkey")
        batch.drop_column("lost_note")
        batch.drop_column("lost_reason_id")
        batch.drop_column("quantity")
    op.drop_table("lost_reason")
