"""Tables the registration service owns."""

from sqlalchemy import Column, String, Table, UniqueConstraint

from shared.db import UtcDateTime, new_metadata

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
