"""replicas of every service's facts

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "achievements",
        sa.Column("achievement_id", sa.String(length=36), nullable=False),
        sa.Column("county", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("achievement_id", name=op.f("pk_achievements")),
    )
    op.create_table(
        "booths",
        sa.Column("booth_id", sa.String(length=36), nullable=False),
        sa.Column("county", sa.String(length=32), nullable=True),
        sa.Column("achievement_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("booth_id", name=op.f("pk_booths")),
    )
    op.create_table(
        "bulletins",
        sa.Column("bulletin_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("county", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("bulletin_id", name=op.f("pk_bulletins")),
    )
    op.create_table(
        "halls",
        sa.Column("hall_id", sa.String(length=36), nullable=False),
        sa.Column("county", sa.String(length=32), nullable=True),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("inspection_failed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("hall_id", name=op.f("pk_halls")),
    )
    op.create_table(
        "projects",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("county", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("amount_cny", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_projects")),
    )
    op.create_table(
        "publicity_items",
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("county", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("channels_published", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_publicity_items")),
    )
    op.create_table(
        "releases",
        sa.Column("release_id", sa.String(length=36), nullable=False),
        sa.Column("county", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("release_id", name=op.f("pk_releases")),
    )


def downgrade() -> None:
    op.drop_table("releases")
    op.drop_table("publicity_items")
    op.drop_table("projects")
    op.drop_table("halls")
    op.drop_table("bulletins")
    op.drop_table("booths")
    op.drop_table("achievements")
