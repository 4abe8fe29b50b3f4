"""Tables the exhibitions service owns, and its replica of registration's facts."""

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.db import SequenceKey, UtcDateTime, new_metadata

metadata = new_metadata()

halls = Table(
    "halls",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("county", String(32), unique=True),  # one hall per county; NULL for themed halls
    Column("stage", String(32), nullable=False),
    Column("inspection_failed", Boolean, nullable=False),  # holds the hall back until a pass
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
)

hall_log = Table(
    "hall_log",
    metadata,
    Column("seq", SequenceKey, primary_key=True, autoincrement=True),
    Column("hall_id", String(36), ForeignKey("halls.id"), nullable=False, index=True),
    Column("action", String(16), nullable=False),  # create | stage | inspection
    Column("from_stage", String(32)),
    Column("to_stage", String(32), nullable=False),
    Column("passed", Boolean),
    Column("problems", Text),  # JSON list, for inspections
    Column("actor", String(200), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

booths = Table(
    "booths",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("hall_id", String(36), ForeignKey("halls.id"), nullable=False, index=True),
    Column("code", String(32), nullable=False),
    Column("area_m2", Float, nullable=False),
    Column("power_kw", Float, nullable=False),
    Column("achievement_id", String(36), unique=True),  # the one achievement placed here
    Column("assigned_at", UtcDateTime),
    Column("assigned_by", String(200)),
    Column("override_note", Text),  # set when the committee overrode the county rule
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("hall_id", "code", name="uq_booths_hall_id_code"),
)

# Replica of registration's achievements: what placing and presenting them needs.
exhibits = Table(
    "exhibits",
    metadata,
    Column("achievement_id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("county", String(32), nullable=False, index=True),
    Column("unit_id", String(36), nullable=False),
    Column("title", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("floor_area_m2", Float, nullable=False),
    Column("power_kw", Float, nullable=False),
    Column("live_demo", Boolean, nullable=False),
)

# Replica of registration's units (for presenting units of release sessions).
units = Table(
    "units",
    metadata,
    Column("unit_id", String(36), primary_key=True),
    Column("county", String(32), nullable=False),
    Column("name", String(200), nullable=False),
)

allocation_plans = Table(
    "allocation_plans",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("hall_id", String(36)),  # NULL: every hall
    Column("placements", Text, nullable=False),  # JSON [{achievement_id, booth_id}]
    Column("unplaced", Text, nullable=False),  # JSON [{achievement_id, reason}]
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("confirmed_at", UtcDateTime),
    Column("confirmed_by", String(200)),
)

releases = Table(
    "releases",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("venue", String(100), nullable=False, index=True),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("county", String(32), nullable=False),
    Column("presenting_unit_id", String(36), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
)

release_achievements = Table(
    "release_achievements",
    metadata,
    Column("release_id", String(36), ForeignKey("releases.id"), primary_key=True),
    Column("achievement_id", String(36), primary_key=True),
    Column("position", Integer, nullable=False),
)

# One row per venue, written first by every scheduling transaction: concurrent bookings of
# one venue then take turns, so the overlap check always sees the other's session.
venues = Table(
    "venues",
    metadata,
    Column("venue", String(100), primary_key=True),
    Column("bookings", Integer, nullable=False),
)
