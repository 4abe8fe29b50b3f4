"""Running-order use cases: slots at distinct times, agreed projects in them, reorder, hold."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update

from services.signings.domain import (
    Rule,
    SlotStatus,
    Stage,
    check_may_manage_running_order,
    check_schedulable,
)
from services.signings.models import projects, slots
from services.signings.order import announce_running_order, load_running_order
from services.signings.projects import load_project, save_stage
from services.signings.schemas import SlotIn, SlotOut
from services.signings.views import project_data
from shared.auth import Principal
from shared.edition import Edition
from shared.events.signings import ProjectScheduled, ProjectSigned, ScheduledData
from shared.problems import InvalidInput, NotFound, RuleViolated
from shared.uow import UnitOfWork

PLANNED, HELD = SlotStatus.PLANNED.value, SlotStatus.HELD.value


async def create_slot(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, data: SlotIn
) -> SlotOut:
    """A new slot, placed among the others by its time."""
    check_may_manage_running_order(principal, edition)
    await _check_time_free(uow, data.starts_at)
    row = {
        "id": str(uuid.uuid4()),
        "position": 0,  # set below: positions always follow the times
        "title": data.title,
        "starts_at": data.starts_at,
        "status": PLANNED,
        "created_at": now,
        "created_by": principal.id,
    }
    await uow.session.execute(insert(slots).values(row))
    ordered = await uow.session.scalars(select(slots.c.id).order_by(slots.c.starts_at))
    for position, slot_id in enumerate(list(ordered), start=1):
        await uow.session.execute(
            update(slots).where(slots.c.id == slot_id).values(position=position)
        )
    return _slot_in(await announce_running_order(uow, edition, now, principal.id), row["id"])


async def add_project(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    slot_id: uuid.UUID,
    project_id: uuid.UUID,
) -> SlotOut:
    """Put an agreed project at the end of a slot (a scheduled one moves here from its slot)."""
    check_may_manage_running_order(principal, edition)
    slot = await _load_slot(uow, slot_id)
    if slot["status"] == HELD:
        raise RuleViolated("the slot was already held", field="slot_id", rule=Rule.SLOT_HELD)
    current = await load_project(uow, project_id)
    check_schedulable(Stage(current["stage"]))
    if current["slot_id"] == slot["id"]:
        raise RuleViolated(
            "the project is already in this slot", field="project_id", rule=Rule.ALREADY_IN_SLOT
        )
    last = await uow.session.scalar(
        select(func.max(projects.c.slot_position)).where(projects.c.slot_id == slot["id"])
    )
    row = await save_stage(
        uow,
        current,
        Stage.SCHEDULED,
        principal.id,
        now,
        slot_id=slot["id"],
        slot_position=(last or 0) + 1,
    )
    uow.emit(
        ProjectScheduled(
            edition=edition.code,
            actor=principal.id,
            occurred_at=now,
            data=_scheduled(row, current["stage"], slot),
        )
    )
    return _slot_in(await announce_running_order(uow, edition, now, principal.id), slot["id"])


async def reorder(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    slot_ids: list[uuid.UUID],
) -> list[SlotOut]:
    """One request: the slots in their new order. The times stay where they were, in order, and
    the slots take them in their new order; held slots keep their place."""
    check_may_manage_running_order(principal, edition)
    current = (await uow.session.execute(select(slots).order_by(slots.c.position))).all()
    wanted = [str(s) for s in slot_ids]
    unknown = [s for s in wanted if s not in {c.id for c in current}]
    if unknown:
        raise NotFound(f"no slot {', '.join(unknown)}", field="slot_ids")
    if sorted(wanted) != sorted(s.id for s in current):
        raise InvalidInput("list every slot of the running order exactly once", field="slot_ids")
    for before, after in zip(current, wanted, strict=True):
        if before.status == HELD and before.id != after:
            raise RuleViolated(
                f"slot {before.title!r} was held and keeps its place",
                field="slot_ids",
                rule=Rule.SLOT_HELD,
            )
    times = [s.starts_at for s in current]  # ascending, since positions follow time
    # Park the times first: two slots never share a time, not even within this change.
    far = timedelta(days=36500)
    for s in current:
        await uow.session.execute(
            update(slots).where(slots.c.id == s.id).values(starts_at=s.starts_at + far)
        )
    for position, (slot_id, starts_at) in enumerate(zip(wanted, times, strict=True), start=1):
        await uow.session.execute(
            update(slots)
            .where(slots.c.id == slot_id)
            .values(position=position, starts_at=starts_at)
        )
    return await announce_running_order(uow, edition, now, principal.id)


async def hold_slot(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, slot_id: uuid.UUID
) -> SlotOut:
    """The slot took place: every project in it is signed."""
    check_may_manage_running_order(principal, edition)
    slot = await _load_slot(uow, slot_id)
    if slot["status"] == HELD:
        raise RuleViolated("the slot was already held", field="slot_id", rule=Rule.SLOT_HELD)
    await uow.session.execute(
        update(slots)
        .where(slots.c.id == slot["id"])
        .values(status=HELD, held_at=now, held_by=principal.id)
    )
    in_slot = await uow.session.execute(
        select(projects).where(projects.c.slot_id == slot["id"]).order_by(projects.c.slot_position)
    )
    for current in [p._asdict() for p in in_slot]:
        row = await save_stage(uow, current, Stage.SIGNED, principal.id, now)
        uow.emit(
            ProjectSigned(
                edition=edition.code,
                actor=principal.id,
                occurred_at=now,
                data=_scheduled(row, current["stage"], slot),
            )
        )
    return _slot_in(await announce_running_order(uow, edition, now, principal.id), slot["id"])


async def running_order(uow: UnitOfWork, now: datetime) -> list[SlotOut]:
    return await load_running_order(uow, now)


async def show_slot(uow: UnitOfWork, now: datetime, slot_id: uuid.UUID) -> SlotOut:
    slot = await _load_slot(uow, slot_id)
    return _slot_in(await load_running_order(uow, now, slot["id"]), slot["id"])


def _slot_in(order: list[SlotOut], slot_id: str) -> SlotOut:
    return next(s for s in order if str(s.id) == slot_id)


async def _check_time_free(uow: UnitOfWork, starts_at: datetime) -> None:
    taken = await uow.session.scalar(select(slots.c.title).where(slots.c.starts_at == starts_at))
    if taken is not None:
        raise RuleViolated(
            f"slot {taken!r} already starts at {starts_at.isoformat()}",
            field="starts_at",
            rule=Rule.SLOT_TIME_TAKEN,
        )


async def _load_slot(uow: UnitOfWork, slot_id) -> dict:
    row = (await uow.session.execute(select(slots).where(slots.c.id == str(slot_id)))).first()
    if row is None:
        raise NotFound(f"no slot {slot_id}", field="slot_id")
    return row._asdict()


def _scheduled(row: dict, from_stage: str, slot: dict) -> ScheduledData:
    return ScheduledData(
        **project_data(row).model_dump(),
        from_stage=from_stage,
        slot_id=slot["id"],
        slot_title=slot["title"],
        slot_starts_at=slot["starts_at"],
    )
