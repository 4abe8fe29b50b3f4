"""projects, the running order and known achievements

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
        "achievements",
        sa.Column("achievement_id", sa.String(length=36), nullable=False),
        sa.Column("county", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("achievement_id", name=op.f("pk_achievements")),
    )
    op.create_table(
        "slots",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("held_at", shared.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("held_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slots")),
        sa.UniqueConstraint("starts_at", name=op.f("uq_slots_starts_at")),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("county", sa.String(length=32), nullable=False),
        sa.Column("local_party", sa.String(length=200), nullable=False),
        sa.Column("partner_name", sa.String(length=200), nullable=False),
        sa.Column("partner_kind", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sector", sa.String(length=100), nullable=False),
        sa.Column("amount_cny", sa.BigInteger(), nullable=False),
        sa.Column("achievement_id", sa.String(length=36), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("stage_since", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("slot_id", sa.String(length=36), nullable=True),
        sa.Column("slot_position", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], name=op.f("fk_projects_slot_id_slots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_county"), ["county"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_slot_id"), ["slot_id"], unique=False)

    op.create_table(
        "project_log",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("from_stage", sa.String(length=16), nullable=True),
        sa.Column("to_stage", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("slot_id", sa.String(length=36), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_log_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_project_log")),
    )
    with op.batch_alter_table("project_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_log_project_id"), ["project_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("project_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_log_project_id"))

    op.drop_table("project_log")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_slot_id"))
        batch_op.drop_index(batch_op.f("ix_projects_county"))

    op.drop_table("projects")
    op.drop_table("slots")
    op.drop_table("achievements")
