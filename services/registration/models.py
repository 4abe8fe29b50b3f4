"""Tables the registration service owns."""

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.db import SequenceKey, UtcDateTime, new_metadata

metadata = new_metadata()

units = Table(
    "units",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("county", String(32), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    # Personal data: stored and shown to the county and the committee, never put into events.
    Column("contact_person", String(50), nullable=False),
    Column("contact_phone", String(20), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    UniqueConstraint("county", "name", name="uq_units_county_name"),
)

achievements = Table(
    "achievements",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("unit_id", String(36), ForeignKey("units.id"), nullable=False, index=True),
    Column("county", String(32), nullable=False),  # the unit's, kept here for filters
    Column("title", String(200), nullable=False),
    Column("field", String(32), nullable=False),
    Column("summary", Text, nullable=False),
    Column("maturity", String(32), nullable=False),
    Column("patents", Text, nullable=False),  # JSON list of patent numbers
    Column("floor_area_m2", Float, nullable=False),
    Column("power_kw", Float, nullable=False),
    Column("live_demo", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),  # +1 on every change; events carry it
    Column("reason", Text),  # of the last rejection or withdrawal
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Index("ix_achievements_county_status", "county", "status"),
)

achievement_history = Table(
    "achievement_history",
    metadata,
    Column("seq", SequenceKey, primary_key=True, autoincrement=True),
    Column("achievement_id", String(36), ForeignKey("achievements.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("reason", Text),
    Column("changes", Text),  # JSON {field: [old, new]} for edits
)
