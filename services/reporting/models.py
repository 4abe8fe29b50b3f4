"""Projections the reporting service keeps from other services' events."""

from sqlalchemy import Column, Integer, String, Table

from shared.db import new_metadata

metadata = new_metadata()

county_units = Table(
    "county_units",
    metadata,
    Column("county", String(32), primary_key=True),
    Column("units", Integer, nullable=False),
)
