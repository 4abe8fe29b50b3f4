"""Tables the signings service owns."""

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table, Text

from shared.db import SequenceKey, UtcDateTime, new_metadata

metadata = new_metadata()

projects = Table(
    "projects",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("county", String(32), nullable=False, index=True),
    Column("local_party", String(200), nullable=False),
    Column("partner_name", String(200), nullable=False),
    Column("partner_kind", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("sector", String(100), nullable=False),
    Column("amount_cny", BigInteger, nullable=False),  # whole yuan, never a float
    Column("achievement_id", String(36)),  # optional link to registration's achievement
    Column("stage", String(16), nullable=False),
    Column("stage_since", UtcDateTime, nullable=False),
    Column("slot_id", String(36), ForeignKey("slots.id"), index=True),
    Column("slot_position", Integer),  # order of signing within the slot
    Column("reason", Text),  # of the last cancellation or move back
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
)

project_log = Table(
    "project_log",
    metadata,
    Column("seq", SequenceKey, primary_key=True, autoincrement=True),
    Column("project_id", String(36), ForeignKey("projects.id"), nullable=False, index=True),
    Column("from_stage", String(16)),
    Column("to_stage", String(16), nullable=False),
    Column("reason", Text),
    Column("slot_id", String(36)),
    Column("actor", String(200), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

slots = Table(
    "slots",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False, unique=True),  # two slots never share a time
    Column("status", String(16), nullable=False),  # planned | held
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("held_at", UtcDateTime),
    Column("held_by", String(200)),
)

# Replica of registration's achievements, to check the link a project may carry.
achievements = Table(
    "achievements",
    metadata,
    Column("achievement_id", String(36), primary_key=True),
    Column("county", String(32), nullable=False),
    Column("title", String(200), nullable=False),
)
