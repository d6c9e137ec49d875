"""server-side sign-in sessions that survive a reload: id, person, created, last seen, revoked

Revision ID: 0015_web_sessions
Revises: 0014_follow_ups
Create Date: 2026-12-01 14:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_web_sessions"
down_revision = "0014_follow_ups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_because", sa.String(length=20), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_web_session_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_session_token_hash")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_web_session_person_open", "web_session", ["person_id", "revoked_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_web_session_person_open", table_name="web_session")
    op.drop_table("web_session")
