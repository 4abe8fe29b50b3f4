"""Achievement release sessions (成果发布): scheduled without overlaps per venue, then held or cancelled."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import insert, select, update

from services.exhibitions.domain import (
    ExhibitStatus,
    ReleaseAction,
    ReleaseStatus,
    Rule,
    check_may_manage,
    check_may_read,
    check_may_release,
    next_release_status,
)
from services.exhibitions.models import exhibits, release_achievements, releases, units, venues
from services.exhibitions.schemas import ReleaseIn, ReleaseOut
from shared.api import Page, PageRequest, paginate
from shared.auth import Principal
from shared.db import add_to_counter
from shared.edition import Edition
from shared.events.exhibitions import ReleaseCancelled, ReleaseData, ReleaseHeld, ReleaseScheduled
from shared.problems import Conflict, NotFound, RuleViolated
from shared.uow import UnitOfWork

EVENT_OF_ACTION = {ReleaseAction.HOLD: ReleaseHeld, ReleaseAction.CANCEL: ReleaseCancelled}


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
        raise NotFound(
            f"no unit {data.presenting_unit_id} is known to exhibitions (from registration's "
            "events)",
            field="presenting_unit_id",
        )
    check_may_manage(principal, edition, unit.county)
    wanted = [str(a) for a in data.achievement_ids]
    known = {
        row.achievement_id: row
        for row in await uow.session.execute(
            select(exhibits.c.achievement_id, exhibits.c.status, exhibits.c.county).where(
                exhibits.c.achievement_id.in_(wanted)
            )
        )
    }
    unknown = [a for a in wanted if a not in known]
    if unknown:
        raise NotFound(
            f"no achievement {', '.join(unknown)} is known to exhibitions (from registration's "
            "events)",
            field="achievement_ids",
        )
    check_may_release(principal, edition, {a: known[a].county for a in wanted})
    status_of = {a: known[a].status for a in wanted}
    not_approved = [a for a in wanted if status_of[a] != ExhibitStatus.APPROVED]
    if not_approved:
        raise RuleViolated(
            "only approved achievements are released; not approved: "
            + ", ".join(f"{a} ({status_of[a]})" for a in not_approved),
            field="achievement_ids",
            rule=Rule.NOT_APPROVED,
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
    action: ReleaseAction,
    reason: str | None = None,
) -> ReleaseOut:
    row = await _load(uow, release_id)
    check_may_manage(principal, edition, row["county"])
    check_may_release(principal, edition, await _county_of(uow, row["achievement_ids"]))
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
    uow: UnitOfWork,
    edition: Edition,
    principal: Principal,
    venue: str | None,
    paging: PageRequest,
) -> Page[ReleaseOut]:
    check_may_read(principal, edition)
    query = select(releases)
    if venue:
        query = query.where(releases.c.venue == venue)
    page = await paginate(
        uow.session, query, paging, lambda row: row, releases.c.starts_at, releases.c.id
    )
    shown = await _achievement_ids(uow, [row["id"] for row in page.items])
    items = [ReleaseOut.model_validate(r | {"achievement_ids": shown[r["id"]]}) for r in page.items]
    return Page(items=items, total=page.total, limit=page.limit, offset=page.offset)


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
            f"{venue} is taken from {_utc(clash.starts_at)} to {_utc(clash.ends_at)} by "
            f"{clash.title!r}",
            field="starts_at",
            rule=Rule.VENUE_OVERLAP,
        )


async def _load(uow: UnitOfWork, release_id) -> dict:
    row = (
        await uow.session.execute(select(releases).where(releases.c.id == str(release_id)))
    ).first()
    if row is None:
        raise NotFound(f"no release session {release_id}", field="release_id")
    return row._asdict() | {"achievement_ids": (await _achievement_ids(uow, [row.id]))[row.id]}


async def _achievement_ids(uow: UnitOfWork, release_ids: list[str]) -> dict[str, list[str]]:
    """Each session's achievements, in the order they were given."""
    shown: dict[str, list[str]] = {i: [] for i in release_ids}
    rows = await uow.session.execute(
        select(release_achievements.c.release_id, release_achievements.c.achievement_id)
        .where(release_achievements.c.release_id.in_(release_ids))
        .order_by(release_achievements.c.release_id, release_achievements.c.position)
    )
    for release_id, achievement_id in rows:
        shown[release_id].append(achievement_id)
    return shown


async def _county_of(uow: UnitOfWork, achievement_ids: list[str]) -> dict[str, str | None]:
    """Each achievement's county, as registration's events told it (None if never heard of)."""
    rows = await uow.session.execute(
        select(exhibits.c.achievement_id, exhibits.c.county).where(
            exhibits.c.achievement_id.in_(achievement_ids)
        )
    )
    county = dict(rows.all())
    return {a: county.get(a) for a in achievement_ids}


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


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
