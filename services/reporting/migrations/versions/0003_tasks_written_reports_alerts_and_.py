"""tasks, written reports, alerts and briefings

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "briefings",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("issued_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_briefings")),
    )
    op.create_table(
        "report_alerts",
        sa.Column("reporter", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reporter", "period", "level", name=op.f("pk_report_alerts")),
    )
    op.create_table(
        "reports",
        sa.Column("reporter", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("done", sa.Text(), nullable=False),
        sa.Column("next", sa.Text(), nullable=False),
        sa.Column("problems", sa.Text(), nullable=False),
        sa.Column("rag", sa.String(length=8), nullable=False),
        sa.Column("submitted_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("reporter", "period", "version", name=op.f("pk_reports")),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("group", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("responsible", sa.String(length=100), nullable=False),
        sa.Column("deadline", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("quality_standard", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("blocked_reason", sa.Text(), nullable=True),
        sa.Column("overdue_at", shared.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_group"), ["group"], unique=False)

    op.create_table(
        "task_updates",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_updates_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_task_updates")),
    )
    with op.batch_alter_table("task_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_updates_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_updates_task_id"))

    op.drop_table("task_updates")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_group"))

    op.drop_table("tasks")
    op.drop_table("reports")
    op.drop_table("report_alerts")
    op.drop_table("briefings")
