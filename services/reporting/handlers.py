"""Event subscribers: each typed event updates the projections, exactly once (inbox)."""

from services.reporting.models import county_units
from shared.bus import EventConsumer
from shared.db import add_to_counter
from shared.events import UnitRegistered
from shared.uow import UnitOfWork

registration_events = EventConsumer("reporting", source_service="registration")


@registration_events.on(UnitRegistered)
async def on_unit_registered(event: UnitRegistered, uow: UnitOfWork) -> None:
    await add_to_counter(uow.session, county_units, {"county": event.data.county}, "units")
