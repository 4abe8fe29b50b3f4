"""Projections the reporting service keeps from other services' events."""

from sqlalchemy import BigInteger, Boolean, Column, Integer, String, Table

from shared.db import new_metadata

metadata = new_metadata()

county_units = Table(
    "county_units",
    metadata,
    Column("county", String(32), primary_key=True),
    Column("units", Integer, nullable=False),
)

# Replicas of what the other services reported, one row per thing, so every figure is a
# GROUP BY and the whole set can be rebuilt by replaying the streams.
achievements = Table(
    "achievements",
    metadata,
    Column("achievement_id", String(36), primary_key=True),
    Column("county", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
)

halls = Table(
    "halls",
    metadata,
    Column("hall_id", String(36), primary_key=True),
    Column("county", String(32)),  # NULL: a themed hall
    Column("stage", String(32), nullable=False),
    Column("inspection_failed", Boolean, nullable=False),
)

booths = Table(
    "booths",
    metadata,
    Column("booth_id", String(36), primary_key=True),
    Column("county", String(32)),
    Column("achievement_id", String(36)),
)

releases = Table(
    "releases",
    metadata,
    Column("release_id", String(36), primary_key=True),
    Column("county", String(32), nullable=False),
    Column("status", String(16), nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("project_id", String(36), primary_key=True),
    Column("county", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("amount_cny", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
)

publicity_items = Table(
    "publicity_items",
    metadata,
    Column("item_id", String(36), primary_key=True),
    Column("county", String(32)),
    Column("status", String(16), nullable=False),
    Column("channels_published", Integer, nullable=False),
)

bulletins = Table(
    "bulletins",
    metadata,
    Column("bulletin_id", String(36), primary_key=True),
    Column("source", String(64), nullable=False),
    Column("county", String(32)),
    Column("status", String(16), nullable=False),
)


# What a rebuild forgets and replays (reporting's own records, such as tasks, are not here).
PROJECTIONS = (county_units, achievements, halls, booths, releases, projects, publicity_items, bulletins)
