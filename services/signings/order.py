"""The ceremony running order as it stands, read and announced."""

from datetime import datetime

from sqlalchemy import select

from services.signings.models import projects, slots
from services.signings.schemas import SlotOut
from services.signings.views import project_out
from shared.edition import Edition
from shared.events.signings import RunningOrderChanged, RunningOrderChangedData, SlotData
from shared.uow import UnitOfWork


async def load_running_order(
    uow: UnitOfWork, now: datetime, slot_id: str | None = None
) -> list[SlotOut]:
    """Every slot in order, each with its projects in signing order (or the one `slot_id`)."""
    slot_query = select(slots).order_by(slots.c.position)
    project_query = select(projects).order_by(projects.c.slot_position)
    if slot_id is None:
        project_query = project_query.where(projects.c.slot_id.is_not(None))
    else:
        slot_query = slot_query.where(slots.c.id == slot_id)
        project_query = project_query.where(projects.c.slot_id == slot_id)
    slot_rows = (await uow.session.execute(slot_query)).all()
    in_slots = await uow.session.execute(project_query)
    by_slot: dict[str, list] = {}
    for p in in_slots:
        by_slot.setdefault(p.slot_id, []).append(project_out(p._asdict(), now))
    return [
        SlotOut.model_validate(s._asdict() | {"projects": by_slot.get(s.id, [])}) for s in slot_rows
    ]


async def announce_running_order(
    uow: UnitOfWork, edition: Edition, now: datetime, actor: str
) -> list[SlotOut]:
    """Emit the whole order after any change to it, so a big screen can simply redraw."""
    order = await load_running_order(uow, now)
    data = RunningOrderChangedData(
        slots=tuple(
            SlotData(
                slot_id=s.id,
                position=s.position,
                title=s.title,
                starts_at=s.starts_at,
                status=s.status,
                project_ids=tuple(p.id for p in s.projects),
            )
            for s in order
        )
    )
    uow.emit(RunningOrderChanged(edition=edition.code, actor=actor, occurred_at=now, data=data))
    return order
