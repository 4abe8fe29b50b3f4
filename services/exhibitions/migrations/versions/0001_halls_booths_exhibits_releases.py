"""halls booths exhibits releases

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

import shared.db
from shared.migrations import create_platform_tables_v1

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_platform_tables_v1(op)
    op.create_table(
        "allocation_plans",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hall_id", sa.String(length=36), nullable=True),
        sa.Column("placements", sa.Text(), nullable=False),
        sa.Column("unplaced", sa.Text(), nullable=False),
        sa.Column("created_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("confirmed_at", shared.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_plans")),
    )
    op.create_table(
        "exhibits",
        sa.Column("achievement_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("county", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("floor_area_m2", sa.Float(), nullable=False),
        sa.Column("power_kw", sa.Float(), nullable=False),
        sa.Column("live_demo", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("achievement_id", name=op.f("pk_exhibits")),
    )
    with op.batch_alter_table("exhibits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exhibits_county"), ["county"], unique=False)

    op.create_table(
        "halls",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("county", sa.String(length=32), nullable=True),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("inspection_failed", sa.Boolean(), nullable=False),
        sa.Column("created_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_halls")),
        sa.UniqueConstraint("code", name=op.f("uq_halls_code")),
        sa.UniqueConstraint("county", name=op.f("uq_halls_county")),
    )

    op.create_table(
        "releases",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("venue", sa.String(length=100), nullable=False),
        sa.Column("starts_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("county", sa.String(length=32), nullable=False),
        sa.Column("presenting_unit_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
    )
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_releases_venue"), ["venue"], unique=False)

    op.create_table(
        "units",
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("county", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_units")),
    )
    op.create_table(
        "booths",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hall_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("power_kw", sa.Float(), nullable=False),
        sa.Column("achievement_id", sa.String(length=36), nullable=True),
        sa.Column("assigned_at", shared.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("assigned_by", sa.String(length=200), nullable=True),
        sa.Column("override_note", sa.Text(), nullable=True),
        sa.Column("created_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"], name=op.f("fk_booths_hall_id_halls")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booths")),
        sa.UniqueConstraint("achievement_id", name=op.f("uq_booths_achievement_id")),
        sa.UniqueConstraint("hall_id", "code", name="uq_booths_hall_id_code"),
    )
    with op.batch_alter_table("booths", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booths_hall_id"), ["hall_id"], unique=False)

    op.create_table(
        "hall_log",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("hall_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_stage", sa.String(length=32), nullable=True),
        sa.Column("to_stage", sa.String(length=32), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("problems", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"], name=op.f("fk_hall_log_hall_id_halls")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_hall_log")),
    )
    with op.batch_alter_table("hall_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hall_log_hall_id"), ["hall_id"], unique=False)

    op.create_table(
        "release_achievements",
        sa.Column("release_id", sa.String(length=36), nullable=False),
        sa.Column("achievement_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_achievements_release_id_releases"),
        ),
        sa.PrimaryKeyConstraint(
            "release_id", "achievement_id", name=op.f("pk_release_achievements")
        ),
    )


def downgrade() -> None:
    op.drop_table("release_achievements")
    with op.batch_alter_table("hall_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hall_log_hall_id"))

    op.drop_table("hall_log")
    with op.batch_alter_table("booths", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booths_hall_id"))

    op.drop_table("booths")
    op.drop_table("units")
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_releases_venue"))

    op.drop_table("releases")

    op.drop_table("halls")
    with op.batch_alter_table("exhibits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exhibits_county"))

    op.drop_table("exhibits")
    op.drop_table("allocation_plans")
