"""Event subscribers: every other service's events kept as reporting's replicas, exactly once
(inbox). Handlers use only what the event says (never the clock), so a replay of the streams
rebuilds the same projections."""

from collections import Counter

from sqlalchemy import select, update

from services.reporting.models import (
    achievements,
    booths,
    bulletins,
    county_units,
    halls,
    projects,
    publicity_items,
    releases,
)
from shared.bus import EventConsumer
from shared.db import add_to_counters, upsert, upsert_newest
from shared.events import ACHIEVEMENT_EVENTS, UnitRegistered
from shared.events import exhibitions as ex
from shared.events import publicity as pub
from shared.events import signings as sg
from shared.uow import UnitOfWork

registration_events = EventConsumer("reporting", source_service="registration")
exhibitions_events = EventConsumer("reporting", source_service="exhibitions")
signings_events = EventConsumer("reporting", source_service="signings")
publicity_events = EventConsumer("reporting", source_service="publicity")
CONSUMERS = [registration_events, exhibitions_events, signings_events, publicity_events]


async def _newer(uow: UnitOfWork, table, key: str, value: str, version: int) -> bool:
    """Versioned events may arrive out of order after a redelivery: keep the newest."""
    known = await uow.session.scalar(select(table.c.version).where(table.c[key] == value))
    return known is None or known < version


# Registration's events are most of every stream: they are written a batch at a time, one
# statement per county or per table, which is what makes a replay fast. Units and
# achievements are separate tables, as a batch handler requires.
@registration_events.on_batch(UnitRegistered)
async def on_units_registered(events: list[UnitRegistered], uow: UnitOfWork) -> None:
    counted = Counter(e.data.county for e in events)
    rows = [{"county": county, "units": n} for county, n in counted.items()]
    await add_to_counters(uow.session, county_units, ["county"], "units", rows)


@registration_events.on_batch(*ACHIEVEMENT_EVENTS)
async def on_achievements(events: list, uow: UnitOfWork) -> None:
    rows = [
        {
            "achievement_id": str(e.data.achievement_id),
            "county": e.data.county,
            "status": e.data.status,
            "version": e.data.version,
        }
        for e in events
    ]
    await upsert_newest(uow.session, achievements, "achievement_id", rows)


@exhibitions_events.on(ex.HallCreated)
@exhibitions_events.on(ex.HallStageChanged)
@exhibitions_events.on(ex.HallInspected)
async def on_hall(event, uow: UnitOfWork) -> None:
    h = event.data
    values = {"county": h.county, "stage": h.stage}
    if isinstance(event, ex.HallInspected):
        values["inspection_failed"] = not h.passed
    elif isinstance(event, ex.HallCreated):
        values["inspection_failed"] = False
    if "inspection_failed" in values:
        await upsert(uow.session, halls, {"hall_id": str(h.hall_id)}, values)
    else:
        await uow.session.execute(
            update(halls).where(halls.c.hall_id == str(h.hall_id)).values(values)
        )


@exhibitions_events.on(ex.BoothCreated)
@exhibitions_events.on(ex.BoothAssigned)
@exhibitions_events.on(ex.BoothReleased)
async def on_booth(event, uow: UnitOfWork) -> None:
    b = event.data
    placed = str(b.achievement_id) if isinstance(event, ex.BoothAssigned) else None
    await upsert(
        uow.session,
        booths,
        {"booth_id": str(b.booth_id)},
        {"county": b.county, "achievement_id": placed},
    )


@exhibitions_events.on(ex.ReleaseScheduled)
@exhibitions_events.on(ex.ReleaseHeld)
@exhibitions_events.on(ex.ReleaseCancelled)
async def on_release(event, uow: UnitOfWork) -> None:
    r = event.data
    await upsert(
        uow.session,
        releases,
        {"release_id": str(r.release_id)},
        {"county": r.county, "status": r.status},
    )


@signings_events.on(sg.ProjectProposed)
@signings_events.on(sg.ProjectStageChanged)
@signings_events.on(sg.ProjectScheduled)
@signings_events.on(sg.ProjectSigned)
@signings_events.on(sg.ProjectCancelled)
async def on_project(event, uow: UnitOfWork) -> None:
    p = event.data
    known = (
        await uow.session.execute(
            select(projects.c.version, projects.c.stage, projects.c.stage_since).where(
                projects.c.project_id == str(p.project_id)
            )
        )
    ).first()
    if known is not None and known.version >= p.version:
        return  # an older version arriving late changes nothing
    same_stage = known is not None and known.stage == p.stage
    values = {
        "county": p.county,
        "kind": p.kind,
        "stage": p.stage,
        "amount_cny": p.amount_cny,
        "version": p.version,
        "stage_since": known.stage_since if same_stage else event.occurred_at,
    }
    await upsert(uow.session, projects, {"project_id": str(p.project_id)}, values)


@publicity_events.on(pub.ItemDrafted)
@publicity_events.on(pub.ItemUpdated)
@publicity_events.on(pub.ItemSubmitted)
@publicity_events.on(pub.ItemApproved)
@publicity_events.on(pub.ItemRejected)
@publicity_events.on(pub.ItemScheduled)
@publicity_events.on(pub.ItemCorrected)
@publicity_events.on(pub.ItemWithdrawn)
async def on_item(event, uow: UnitOfWork) -> None:
    i = event.data
    known = await uow.session.scalar(
        select(publicity_items.c.channels_published).where(
            publicity_items.c.item_id == str(i.item_id)
        )
    )
    await upsert(
        uow.session,
        publicity_items,
        {"item_id": str(i.item_id)},
        {"county": i.county, "status": i.status, "channels_published": known or 0},
    )


@publicity_events.on(pub.ItemPublished)
async def on_item_published(event: pub.ItemPublished, uow: UnitOfWork) -> None:
    i = event.data
    known = await uow.session.scalar(
        select(publicity_items.c.item_id).where(publicity_items.c.item_id == str(i.item_id))
    )
    if known is None:
        await uow.session.execute(
            publicity_items.insert().values(
                item_id=str(i.item_id), county=i.county, status="published", channels_published=1
            )
        )
        return
    await uow.session.execute(
        update(publicity_items)
        .where(publicity_items.c.item_id == str(i.item_id))
        .values(status="published", channels_published=publicity_items.c.channels_published + 1)
    )


@publicity_events.on(pub.BulletinSubmitted)
@publicity_events.on(pub.BulletinAdopted)
@publicity_events.on(pub.BulletinNotAdopted)
async def on_bulletin(event, uow: UnitOfWork) -> None:
    b = event.data
    await upsert(
        uow.session,
        bulletins,
        {"bulletin_id": str(b.bulletin_id)},
        {"source": b.source, "county": b.county, "status": b.status},
    )
