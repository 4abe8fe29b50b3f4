"""Registration's events, kept as exhibitions' own replica of units and achievements.

Each achievement event carries the whole achievement and its version, so the replica keeps the
newest version whatever order events arrive in. An achievement that is rejected or withdrawn
frees its booth, and that is an event of its own (booth.released, with the reason).
"""

from sqlalchemy import select

from services.exhibitions import placement
from services.exhibitions.models import exhibits, units
from shared.bus import EventConsumer
from shared.db import upsert
from shared.events import (
    ACHIEVEMENT_EVENTS,
    AchievementRejected,
    AchievementWithdrawn,
    UnitRegistered,
    UnitUpdated,
)
from shared.uow import UnitOfWork

registration_events = EventConsumer("exhibitions", source_service="registration")

FREES_THE_BOOTH = {
    AchievementRejected.TYPE: "achievement_rejected",
    AchievementWithdrawn.TYPE: "achievement_withdrawn",
}


@registration_events.on(UnitRegistered)
@registration_events.on(UnitUpdated)
async def on_unit(event: UnitRegistered | UnitUpdated, uow: UnitOfWork) -> None:
    unit = event.data
    await upsert(
        uow.session,
        units,
        {"unit_id": str(unit.unit_id)},
        {"county": unit.county, "name": unit.name},
    )


async def on_achievement(event, uow: UnitOfWork) -> None:
    a = event.data
    known = await uow.session.scalar(
        select(exhibits.c.version).where(exhibits.c.achievement_id == str(a.achievement_id))
    )
    if known is not None and known >= a.version:
        return  # an older version arriving late changes nothing
    values = {
        "version": a.version,
        "county": a.county,
        "unit_id": str(a.unit_id),
        "title": a.title,
        "status": a.status,
        "floor_area_m2": a.display.floor_area_m2,
        "power_kw": a.display.power_kw,
        "live_demo": a.display.live_demo,
    }
    await upsert(uow.session, exhibits, {"achievement_id": str(a.achievement_id)}, values)
    if event.type in FREES_THE_BOOTH:
        await placement.release_for_exhibit(
            uow,
            event.edition,
            event.occurred_at,
            event.actor,
            str(a.achievement_id),
            FREES_THE_BOOTH[event.type],
        )


for _event_type in ACHIEVEMENT_EVENTS:
    registration_events.on(_event_type)(on_achievement)
