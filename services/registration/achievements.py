"""Achievement use cases: draft, edit, move through review, read. The caller commits."""

import json
import uuid
from datetime import datetime

from sqlalchemy import insert, select, update

from services.registration.domain import (
    Action,
    Status,
    check_may_act,
    check_may_change,
    check_may_read,
    next_status,
)
from services.registration.models import achievement_history, achievements, units
from services.registration.schemas import (
    AchievementIn,
    AchievementOut,
    AchievementPatch,
    HistoryEntry,
)
from services.registration.units import visible_county
from shared.api import Page, PageRequest, paginate
from shared.auth import Principal
from shared.edition import Edition
from shared.events import (
    AchievementApproved,
    AchievementData,
    AchievementDrafted,
    AchievementRejected,
    AchievementRevised,
    AchievementSubmitted,
    AchievementUpdated,
    AchievementWithdrawn,
    DisplayNeeds,
    Event,
)
from shared.problems import Conflict, NotFound
from shared.uow import UnitOfWork

EVENT_OF_ACTION: dict[Action, type[Event]] = {
    Action.SUBMIT: AchievementSubmitted,
    Action.APPROVE: AchievementApproved,
    Action.REJECT: AchievementRejected,
    Action.WITHDRAW: AchievementWithdrawn,
}


async def draft_achievement(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, data: AchievementIn
) -> AchievementOut:
    unit = (
        await uow.session.execute(
            select(units.c.county, units.c.name).where(units.c.id == str(data.unit_id))
        )
    ).first()
    if unit is None:
        raise NotFound(f"no unit {data.unit_id}", field="unit_id")
    check_may_change(principal, edition, unit.county, edition.registration_frozen(now))
    row = data.model_dump(mode="json") | {
        "id": str(uuid.uuid4()),
        "county": unit.county,
        "patents": json.dumps(data.patents, ensure_ascii=False),
        "status": Status.DRAFT.value,
        "version": 1,
        "reason": None,
        "created_at": now,
        "created_by": principal.id,
        "updated_at": now,
        "updated_by": principal.id,
    }
    await uow.session.execute(insert(achievements).values(row))
    await _record(uow, row, "create", None, principal, now)
    uow.emit(_event(AchievementDrafted, edition, row, unit.name, principal, now))
    return _out(row)


async def edit_achievement(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    achievement_id: uuid.UUID,
    patch: AchievementPatch,
) -> AchievementOut:
    current, unit_name = await _load(uow, achievement_id)
    check_may_act(
        principal, edition, Action.EDIT, current["county"], edition.registration_frozen(now)
    )
    wanted = patch.model_dump(mode="json", exclude_unset=True)
    shown = _out(current).model_dump(mode="json")  # compare as the API shows them (patents: a list)
    changes = {k: [shown[k], v] for k, v in wanted.items() if shown[k] != v}
    if not changes:
        return _out(current)  # nothing changed: no new version, no event
    status = next_status(Status(current["status"]), Action.EDIT)
    row = current | {k: new for k, (_old, new) in changes.items()}
    if "patents" in changes:
        row["patents"] = json.dumps(row["patents"], ensure_ascii=False)
    row |= {"status": status.value, "reason": None if status is Status.SUBMITTED else row["reason"]}
    row = await _save(uow, current, row, principal, now)
    await _record(uow, row, Action.EDIT.value, current["status"], principal, now, changes=changes)
    revised = current["status"] == Status.APPROVED
    event_type = AchievementRevised if revised else AchievementUpdated
    uow.emit(_event(event_type, edition, row, unit_name, principal, now))
    return _out(row)


async def act_on_achievement(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    achievement_id: uuid.UUID,
    action: Action,
    reason: str | None = None,
) -> AchievementOut:
    current, unit_name = await _load(uow, achievement_id)
    check_may_act(principal, edition, action, current["county"], edition.registration_frozen(now))
    status = next_status(Status(current["status"]), action)
    row = current | {"status": status.value, "reason": reason}
    row = await _save(uow, current, row, principal, now)
    await _record(uow, row, action.value, current["status"], principal, now, reason=reason)
    uow.emit(_event(EVENT_OF_ACTION[action], edition, row, unit_name, principal, now))
    return _out(row)


async def show_achievement(
    uow: UnitOfWork, edition: Edition, principal: Principal, achievement_id: uuid.UUID
) -> AchievementOut:
    row, _unit_name = await _load(uow, achievement_id)
    check_may_read(principal, edition, row["county"])
    return _out(row)


async def achievement_history_of(
    uow: UnitOfWork,
    edition: Edition,
    principal: Principal,
    page: PageRequest,
    achievement_id: uuid.UUID,
) -> Page[HistoryEntry]:
    row, _unit_name = await _load(uow, achievement_id)
    check_may_read(principal, edition, row["county"])
    h = achievement_history
    query = select(h).where(h.c.achievement_id == row["id"])
    return await paginate(uow.session, query, page, _history_entry, h.c.seq)


def _history_entry(entry: dict) -> HistoryEntry:
    changes = entry["changes"]
    return HistoryEntry.model_validate(
        entry | {"changes": json.loads(changes) if changes else None}
    )


async def list_achievements(
    uow: UnitOfWork,
    edition: Edition,
    principal: Principal,
    page: PageRequest,
    county: str | None = None,
    status: Status | None = None,
    unit_id: uuid.UUID | None = None,
) -> Page[AchievementOut]:
    county = visible_county(edition, principal, county)
    query = select(achievements)
    if county:
        query = query.where(achievements.c.county == county)
    if status:
        query = query.where(achievements.c.status == status.value)
    if unit_id:
        query = query.where(achievements.c.unit_id == str(unit_id))
    return await paginate(
        uow.session, query, page, _out, achievements.c.created_at, achievements.c.id
    )


async def _load(uow: UnitOfWork, achievement_id: uuid.UUID) -> tuple[dict, str]:
    found = (
        await uow.session.execute(
            select(achievements, units.c.name.label("unit_name"))
            .join(units, units.c.id == achievements.c.unit_id)
            .where(achievements.c.id == str(achievement_id))
        )
    ).first()
    if found is None:
        raise NotFound(f"no achievement {achievement_id}", field="achievement_id")
    row = found._asdict()
    return row, row.pop("unit_name")


async def _save(
    uow: UnitOfWork, current: dict, row: dict, principal: Principal, now: datetime
) -> dict:
    """Write the new state as the next version, only if nobody changed it meanwhile."""
    row = row | {"version": current["version"] + 1, "updated_at": now, "updated_by": principal.id}
    result = await uow.session.execute(
        update(achievements)
        .where(achievements.c.id == current["id"], achievements.c.version == current["version"])
        .values({k: v for k, v in row.items() if k != "id"})
    )
    if result.rowcount != 1:
        raise Conflict("the achievement was changed meanwhile; reload it and try again")
    return row


async def _record(uow, row, action, from_status, principal, now, reason=None, changes=None) -> None:
    await uow.session.execute(
        insert(achievement_history).values(
            achievement_id=row["id"],
            version=row["version"],
            action=action,
            from_status=from_status,
            to_status=row["status"],
            actor=principal.id,
            at=now,
            reason=reason,
            changes=json.dumps(changes, ensure_ascii=False) if changes else None,
        )
    )


def _event(
    event_type, edition: Edition, row: dict, unit_name: str, principal: Principal, now: datetime
) -> Event:
    data = AchievementData(
        achievement_id=row["id"],
        version=row["version"],
        unit_id=row["unit_id"],
        unit_name=unit_name,
        county=row["county"],
        title=row["title"],
        field=row["field"],
        maturity=row["maturity"],
        status=row["status"],
        display=DisplayNeeds(
            floor_area_m2=row["floor_area_m2"], power_kw=row["power_kw"], live_demo=row["live_demo"]
        ),
        reason=row["reason"],
    )
    return event_type(edition=edition.code, actor=principal.id, occurred_at=now, data=data)


def _out(row: dict) -> AchievementOut:
    patents = row["patents"]
    return AchievementOut.model_validate(
        row | {"patents": json.loads(patents) if isinstance(patents, str) else patents}
    )
