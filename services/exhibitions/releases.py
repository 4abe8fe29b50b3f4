"""Achievement release sessions (成果发布): scheduled without overlaps per venue, then held or cancelled."""

import uuid
from datetime import datetime

from sqlalchemy import insert, select, update

from services.exhibitions.domain import (
    ReleaseStatus,
    check_may_manage,
    check_may_read,
    next_release_status,
)
from services.exhibitions.models import exhibits, release_achievements, releases, units, venues
from services.exhibitions.schemas import ReleaseIn, ReleaseOut
from shared.auth import Principal
from shared.db import add_to_counter
from shared.edition import Edition
from shared.events.exhibitions import ReleaseCancelled, ReleaseData, ReleaseHeld, ReleaseScheduled
from shared.problems import Conflict, InvalidInput, NotFound, RuleViolated
from shared.uow import UnitOfWork

EVENT_OF_ACTION = {"hold": ReleaseHeld, "cancel": ReleaseCancelled}


async def schedule(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, data: ReleaseIn
) -> ReleaseOut:
    await _take_turn_at(uow, data.venue)  # first: then every booking committed before ours is seen
    unit = (
        await uow.session.execute(
            select(units).where(units.c.unit_id == str(data.presenting_unit_id))
        )
    ).first()
    if unit is None:
        raise InvalidInput(
            f"no unit {data.presenting_unit_id} is known here", field="presenting_unit_id"
        )
    check_may_manage(principal, edition, unit.county)
    wanted = [str(a) for a in data.achievement_ids]
    approved = set(
        await uow.session.scalars(
            select(exhibits.c.achievement_id).where(
                exhibits.c.achievement_id.in_(wanted), exhibits.c.status == "approved"
            )
        )
    )
    missing = [a for a in wanted if a not in approved]
    if missing:
        raise RuleViolated(
            f"only approved achievements are released; not approved or unknown: {', '.join(missing)}",
            field="achievement_ids",
            rule="not_approved",
        )
    await _check_venue_free(uow, data.venue, data.starts_at, data.ends_at)
    row = {
        "id": str(uuid.uuid4()),
        "title": data.title,
        "venue": data.venue,
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "county": unit.county,
        "presenting_unit_id": unit.unit_id,
        "status": ReleaseStatus.SCHEDULED.value,
        "reason": None,
        "created_at": now,
        "created_by": principal.id,
        "updated_at": now,
        "updated_by": principal.id,
    }
    await uow.session.execute(insert(releases).values(row))
    await uow.session.execute(
        insert(release_achievements),
        [
            {"release_id": row["id"], "achievement_id": a, "position": i}
            for i, a in enumerate(wanted)
        ],
    )
    row["achievement_ids"] = wanted
    uow.emit(
        ReleaseScheduled(edition=edition.code, actor=principal.id, occurred_at=now, data=_data(row))
    )
    return ReleaseOut.model_validate(row)


async def act(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    release_id: uuid.UUID,
    action: str,
    reason: str | None = None,
) -> ReleaseOut:
    row = await _load(uow, release_id)
    check_may_manage(principal, edition, row["county"])
    status = next_release_status(ReleaseStatus(row["status"]), action)
    values = {
        "status": status.value,
        "reason": reason,
        "updated_at": now,
        "updated_by": principal.id,
    }
    result = await uow.session.execute(
        update(releases)
        .where(releases.c.id == row["id"], releases.c.status == row["status"])
        .values(values)
    )
    if result.rowcount != 1:
        raise Conflict("the session changed meanwhile; reload it and try again")
    row |= values
    uow.emit(
        EVENT_OF_ACTION[action](
            edition=edition.code, actor=principal.id, occurred_at=now, data=_data(row)
        )
    )
    return ReleaseOut.model_validate(row)


async def list_releases(
    uow: UnitOfWork, edition: Edition, principal: Principal, venue: str | None
) -> list[ReleaseOut]:
    check_may_read(principal, edition)
    query = select(releases.c.id)
    if venue:
        query = query.where(releases.c.venue == venue)
    ids = await uow.session.scalars(query.order_by(releases.c.starts_at))
    return [ReleaseOut.model_validate(await _load(uow, i)) for i in ids]


async def show_release(
    uow: UnitOfWork, edition: Edition, principal: Principal, release_id: uuid.UUID
) -> ReleaseOut:
    check_may_read(principal, edition)
    return ReleaseOut.model_validate(await _load(uow, release_id))


async def _take_turn_at(uow: UnitOfWork, venue: str) -> None:
    """Write the venue's row: the database lets one booking transaction of a venue through at a time."""
    await add_to_counter(uow.session, venues, {"venue": venue}, "bookings")


async def _check_venue_free(
    uow: UnitOfWork, venue: str, starts_at: datetime, ends_at: datetime
) -> None:
    clash = (
        await uow.session.execute(
            select(releases.c.title, releases.c.starts_at, releases.c.ends_at).where(
                releases.c.venue == venue,
                releases.c.status != ReleaseStatus.CANCELLED.value,
                releases.c.starts_at < ends_at,
                releases.c.ends_at > starts_at,
            )
        )
    ).first()
    if clash is not None:
        raise RuleViolated(
            f"{venue} is taken from {clash.starts_at.isoformat()} to {clash.ends_at.isoformat()} by {clash.title!r}",
            field="starts_at",
            rule="venue_overlap",
        )


async def _load(uow: UnitOfWork, release_id) -> dict:
    row = (
        await uow.session.execute(select(releases).where(releases.c.id == str(release_id)))
    ).first()
    if row is None:
        raise NotFound(f"no release session {release_id}", field="release_id")
    achievement_ids = await uow.session.scalars(
        select(release_achievements.c.achievement_id)
        .where(release_achievements.c.release_id == row.id)
        .order_by(release_achievements.c.position)
    )
    return row._asdict() | {"achievement_ids": list(achievement_ids)}


def _data(row: dict) -> ReleaseData:
    return ReleaseData(
        release_id=row["id"],
        title=row["title"],
        venue=row["venue"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        county=row["county"],
        presenting_unit_id=row["presenting_unit_id"],
        achievement_ids=tuple(row["achievement_ids"]),
        status=row["status"],
        reason=row["reason"],
    )
