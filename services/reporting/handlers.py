"""Event subscribers: each typed event updates the projections, exactly once (inbox)."""

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.models import county_units
from shared.bus import EventConsumer
from shared.events import UnitRegistered

registration_events = EventConsumer("reporting", source_service="registration")


@registration_events.on(UnitRegistered)
async def on_unit_registered(event: UnitRegistered, session: AsyncSession) -> None:
    county = event.data.county
    current = await session.scalar(select(county_units.c.units).where(county_units.c.county == county))
    if current is None:
        await session.execute(county_units.insert().values(county=county, units=1))
    else:
        await session.execute(
            update(county_units).where(county_units.c.county == county).values(units=county_units.c.units + 1)
        )
