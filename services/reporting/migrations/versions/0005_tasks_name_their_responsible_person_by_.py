"""tasks name their responsible person by id

Every (group, name) the tasks hold becomes one row of `responsibles`, with a new opaque id;
each task then refers to its row. Names leave the tasks table (and, from now on, the events).

Revision ID: 0005
"""

import uuid

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "0005"
down_revision = "0004"

_tasks = sa.table(
    "tasks",
    sa.column("group", sa.String),
    sa.column("responsible", sa.String),
    sa.column("responsible_id", sa.String),
)
_responsibles = sa.table(
    "responsibles",
    sa.column("id", sa.String),
    sa.column("group", sa.String),
    sa.column("name", sa.String),
)


def upgrade() -> None:
    op.create_table(
        "responsibles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("group", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("erased_at", shared.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("erased_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responsibles")),
        sa.UniqueConstraint("group", "name", name=op.f("uq_responsibles_group")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("responsible_id", sa.String(length=36), nullable=True))

    connection = op.get_bind()
    named = connection.execute(sa.select(_tasks.c.group, _tasks.c.responsible).distinct()).all()
    for group, name in named:
        person = str(uuid.uuid4())
        connection.execute(sa.insert(_responsibles).values(id=person, group=group, name=name))
        connection.execute(
            sa.update(_tasks)
            .where(_tasks.c.group == group, _tasks.c.responsible == name)
            .values(responsible_id=person)
        )

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.alter_column("responsible_id", existing_type=sa.String(length=36), nullable=False)
        batch_op.create_index(batch_op.f("ix_tasks_responsible_id"), ["responsible_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_tasks_responsible_id_responsibles"),
            "responsibles",
            ["responsible_id"],
            ["id"],
        )
        batch_op.drop_column("responsible")


def downgrade() -> None:
    """Names come back into the tasks; an erased one comes back empty."""
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("responsible", sa.String(length=100), nullable=True))
    name = (
        sa.select(sa.func.coalesce(_responsibles.c.name, ""))
        .where(_responsibles.c.id == _tasks.c.responsible_id)
        .scalar_subquery()
    )
    op.get_bind().execute(sa.update(_tasks).values(responsible=name))
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.alter_column("responsible", existing_type=sa.String(length=100), nullable=False)
        batch_op.drop_constraint(
            batch_op.f("fk_tasks_responsible_id_responsibles"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_tasks_responsible_id"))
        batch_op.drop_column("responsible_id")
    op.drop_table("responsibles")
