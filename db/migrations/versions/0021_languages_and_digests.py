"""languages and email digests

A person may choose the language the app and the emails speak to them (none: the company
default). Digests sent are logged, one per person, kind and period, and a person can opt out of
each kind.

Revision ID: 0021_languages_and_digests
Revises: 0020_measures_and_seasonality
Create Date: 2026-12-02 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_languages_and_digests"
down_revision = "0020_measures_and_seasonality"
branch_labels = None
depends_on = None

KINDS = "'weekly', 'daily', 'reminders'"


def upgrade() -> None:
    with op.batch_alter_table("person", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("language", sa.String(length=10), nullable=True))
    op.create_table(
        "digest_opt_out",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_digest_opt_out_kind_valid")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_digest_opt_out_person_id_person")
        ),
        sa.PrimaryKeyConstraint("person_id", "kind", name=op.f("pk_digest_opt_out")),
    )
    op.create_table(
        "digest_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period_key", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_digest_sent_kind_valid")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_digest_sent_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_sent")),
        sa.UniqueConstraint(
            "person_id", "kind", "period_key", name=op.f("uq_digest_sent_person_id_kind_period_key")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_digest_sent_sent_at"), "digest_sent", ["sent_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_digest_sent_sent_at"), table_name="digest_sent")
    op.drop_table("digest_sent")
    op.drop_table("digest_opt_out")
    with op.batch_alter_table("person", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("language")
