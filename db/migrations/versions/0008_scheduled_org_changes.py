"""scheduled organisation changes: a person's move to another region dated in the future,
kept until its date and then applied (or cancelled before it)

Revision ID: 0008_scheduled_org_changes
Revises: 0007_performance_indexes
Create Date: 2026-12-01 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_scheduled_org_changes"
down_revision = "0007_performance_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_org_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("settled_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('move_person')", name=op.f("ck_scheduled_org_change_kind_valid")
        ),
        sa.CheckConstraint(
            "status IN ('scheduled', 'applied', 'cancelled')",
            name=op.f("ck_scheduled_org_change_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_scheduled_org_change_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_scheduled_org_change_region_id_region")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["person.id"],
            name=op.f("fk_scheduled_org_change_created_by_id_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_org_change")),
    )
    with op.batch_alter_table("scheduled_org_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_scheduled_org_change_due", ["status", "effective_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_scheduled_org_change_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("scheduled_org_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_org_change_person_id"))
        batch_op.drop_index("ix_scheduled_org_change_due")
    op.drop_table("scheduled_org_change")
