"""${message}

Revision ID: ${up_revision}
"""

import sqlalchemy as sa
from alembic import op

import shared.db
% if not down_revision:
from shared.migrations import create_platform_tables_v1
% endif

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}


def upgrade() -> None:
% if not down_revision:
    create_platform_tables_v1(op)
% endif
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
