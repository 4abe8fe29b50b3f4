"""venues take turns

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "venues",
        sa.Column("venue", sa.String(length=100), nullable=False),
        sa.Column("bookings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("venue", name=op.f("pk_venues")),
    )


def downgrade() -> None:
    op.drop_table("venues")
