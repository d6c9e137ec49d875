"""follow-ups: dated tasks on a deal or a customer, owned by a person, done or snoozed

Revision ID: 0014_follow_ups
Revises: 0013_lost_reasons
Create Date: 2026-12-01 14:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_follow_ups"
down_revision = "0013_lost_reasons"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_at", sa.Time(), nullable=True),
        sa.Column("first_due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("snooze_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("done_activity_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'snoozed', 'done')", name=op.f("ck_follow_up_status_valid")
        ),
        sa.CheckConstraint(
            "kind IS NULL OR kind IN ('visit', 'call', 'meeting', 'demo', 'email')",
            name=op.f("ck_follow_up_kind_valid"),
        ),
        sa.CheckConstraint(
            "deal_id IS NOT NULL OR customer_id IS NOT NULL",
            name=op.f("ck_follow_up_deal_or_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["person.id"], name=op.f("fk_follow_up_owner_id_person")
        ),
        sa.ForeignKeyConstraint(["deal_id"], ["deal.id"], name=op.f("fk_follow_up_deal_id_deal")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_follow_up_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["person.id"], name=op.f("fk_follow_up_created_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["person.id"], name=op.f("fk_follow_up_done_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["done_activity_id"],
            ["activity.id"],
            name=op.f("fk_follow_up_done_activity_id_activity"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_follow_up_owner_status_due", "follow_up", ["owner_id", "status", "due_on"]
    )
    op.create_index("ix_follow_up_deal_status_due", "follow_up", ["deal_id", "status", "due_on"])
    op.create_index("ix_follow_up_customer_status", "follow_up", ["customer_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_follow_up_customer_status", table_name="follow_up")
    op.drop_index("ix_follow_up_deal_status_due", table_name="follow_up")
    op.drop_index("ix_follow_up_owner_status_due", table_name="follow_up")
    op.drop_table("follow_up")
