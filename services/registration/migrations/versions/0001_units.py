"""Platform tables and participating units.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime
from shared.migrations import create_platform_tables_v1

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_platform_tables_v1(op)
    op.create_table(
        "units",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("county", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("contact_person", sa.String(50), nullable=False),
        sa.Column("contact_phone", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("county", "name", name="uq_units_county_name"),
    )
    op.create_index("ix_units_county", "units", ["county"])


def downgrade() -> None:
    op.drop_table("units")
