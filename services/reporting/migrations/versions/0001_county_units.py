"""Platform tables and the units-per-county projection.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_platform_tables_v1

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_platform_tables_v1(op)
    op.create_table(
        "county_units",
        sa.Column("county", sa.String(32), primary_key=True),
        sa.Column("units", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("county_units")
