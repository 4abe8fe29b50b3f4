"""Achievements and their history.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

from shared.db import SequenceKey, UtcDateTime

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "achievements",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("unit_id", sa.String(36), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("county", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("maturity", sa.String(32), nullable=False),
        sa.Column("patents", sa.Text, nullable=False),
        sa.Column("floor_area_m2", sa.Float, nullable=False),
        sa.Column("power_kw", sa.Float, nullable=False),
        sa.Column("live_demo", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_achievements_unit_id", "achievements", ["unit_id"])
    op.create_index("ix_achievements_county_status", "achievements", ["county", "status"])
    op.create_table(
        "achievement_history",
        sa.Column("seq", SequenceKey, primary_key=True, autoincrement=True),
        sa.Column(
            "achievement_id", sa.String(36), sa.ForeignKey("achievements.id"), nullable=False
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("changes", sa.Text),
    )
    op.create_index(
        "ix_achievement_history_achievement_id", "achievement_history", ["achievement_id"]
    )


def downgrade() -> None:
    op.drop_table("achievement_history")
    op.drop_table("achievements")
