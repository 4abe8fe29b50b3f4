"""Registration's achievements, kept so a project's link to one can be checked."""

from services.signings.models import achievements
from shared.bus import EventConsumer
from shared.db import upsert
from shared.events import ACHIEVEMENT_EVENTS
from shared.uow import UnitOfWork

registration_events = EventConsumer("signings", source_service="registration")


async def on_achievement(event, uow: UnitOfWork) -> None:
    a = event.data
    await upsert(
        uow.session,
        achievements,
        {"achievement_id": str(a.achievement_id)},
        {"county": a.county, "title": a.title},
    )


for _event_type in ACHIEVEMENT_EVENTS:
    registration_events.on(_event_type)(on_achievement)
