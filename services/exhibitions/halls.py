"""Hall and booth use cases: plan halls, move them towards ready, inspect, add booths."""

import json
import uuid
from datetime import datetime

from sqlalchemy import func, insert, select, update

from services.exhibitions.domain import (
    HallKind,
    Rule,
    Stage,
    StageMove,
    check_inspectable,
    check_may_manage,
    check_may_read,
    next_stage,
)
from services.exhibitions.models import booths, hall_log, halls
from services.exhibitions.schemas import (
    BoothOut,
    BoothsIn,
    HallIn,
    HallLogEntry,
    HallOut,
    InspectionIn,
)
from shared.api import Page, PageRequest, paginate
from shared.auth import Principal
from shared.edition import Edition
from shared.events.exhibitions import (
    BoothCreated,
    BoothData,
    HallCreated,
    HallData,
    HallInspected,
    HallInspectedData,
    HallStageChanged,
    HallStageChangedData,
)
from shared.problems import Conflict, InvalidInput, NotFound
from shared.uow import UnitOfWork


async def create_hall(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, data: HallIn
) -> HallOut:
    if data.county is not None and data.county not in edition.county_codes:
        known = ", ".join(sorted(edition.county_codes))
        raise InvalidInput(f"unknown county {data.county!r}; known: {known}", field="county")
    check_may_manage(principal, edition, data.county)
    if await uow.session.scalar(select(halls.c.id).where(halls.c.code == data.code)):
        raise Conflict(
            f"a hall with code {data.code!r} exists", field="code", rule=Rule.HALL_CODE_TAKEN
        )
    if data.kind is HallKind.COUNTY and await uow.session.scalar(
        select(halls.c.id).where(halls.c.county == data.county)
    ):
        raise Conflict(
            f"county {data.county} already has its hall",
            field="county",
            rule=Rule.ONE_HALL_PER_COUNTY,
        )
    row = data.model_dump(mode="json") | {
        "id": str(uuid.uuid4()),
        "stage": Stage.PLANNED.value,
        "inspection_failed": False,
        "created_at": now,
        "created_by": principal.id,
        "updated_at": now,
        "updated_by": principal.id,
    }
    await uow.session.execute(insert(halls).values(row))
    await _log(uow, row["id"], "create", None, Stage.PLANNED, principal, now)
    uow.emit(
        HallCreated(edition=edition.code, actor=principal.id, occurred_at=now, data=_hall_data(row))
    )
    return await _out(uow, row)


async def advance_stage(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    hall_id: uuid.UUID,
    wanted: StageMove,
) -> HallOut:
    row = await load_hall(uow, hall_id)
    check_may_manage(principal, edition, row["county"])
    current = Stage(row["stage"])
    new = next_stage(current, wanted)
    row = await _set_stage(uow, row, new, principal, now)
    await _log(uow, row["id"], "stage", current, new, principal, now)
    data = HallStageChangedData(**_hall_data(row).model_dump(), from_stage=current.value)
    uow.emit(HallStageChanged(edition=edition.code, actor=principal.id, occurred_at=now, data=data))
    return await _out(uow, row)


async def record_inspection(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    hall_id: uuid.UUID,
    data: InspectionIn,
) -> HallOut:
    """Inspections are the organizers' (the exhibition group and the committee)."""
    row = await load_hall(uow, hall_id)
    check_may_manage(principal, edition, None)
    current = Stage(row["stage"])
    check_inspectable(current)
    new = Stage.SAFETY_INSPECTED if data.passed else current
    row = await _set_stage(uow, row, new, principal, now, inspection_failed=not data.passed)
    await _log(
        uow, row["id"], "inspection", current, new, principal, now, data.passed, data.problems
    )
    inspected = HallInspectedData(
        **_hall_data(row).model_dump(), passed=data.passed, problems=tuple(data.problems)
    )
    uow.emit(
        HallInspected(edition=edition.code, actor=principal.id, occurred_at=now, data=inspected)
    )
    if data.passed:
        changed = HallStageChangedData(**_hall_data(row).model_dump(), from_stage=current.value)
        uow.emit(
            HallStageChanged(
                edition=edition.code, actor=principal.id, occurred_at=now, data=changed
            )
        )
    return await _out(uow, row)


async def add_booths(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    hall_id: uuid.UUID,
    data: BoothsIn,
) -> Page[BoothOut]:
    """All or nothing: one bad or duplicate code and no booth is added. Answers the added
    booths as one page, in the order given."""
    hall = await load_hall(uow, hall_id)
    check_may_manage(principal, edition, hall["county"])
    codes = [b.code for b in data.booths]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise InvalidInput(
            f"booth codes repeated in the request: {', '.join(duplicates)}", field="booths"
        )
    existing = set(
        await uow.session.scalars(
            select(booths.c.code).where(booths.c.hall_id == hall["id"], booths.c.code.in_(codes))
        )
    )
    if existing:
        raise Conflict(
            f"the hall already has booths {', '.join(sorted(existing))}",
            field="booths",
            rule=Rule.BOOTH_CODE_UNIQUE,
        )
    rows = [
        b.model_dump()
        | {
            "id": str(uuid.uuid4()),
            "hall_id": hall["id"],
            "created_at": now,
            "created_by": principal.id,
        }
        for b in data.booths
    ]
    await uow.session.execute(insert(booths), rows)
    for r in rows:
        booth = BoothData(
            booth_id=r["id"],
            hall_id=r["hall_id"],
            code=r["code"],
            county=hall["county"],
            area_m2=r["area_m2"],
            power_kw=r["power_kw"],
        )
        uow.emit(
            BoothCreated(edition=edition.code, actor=principal.id, occurred_at=now, data=booth)
        )
    free = {"achievement_id": None, "assigned_at": None, "assigned_by": None}
    added = [BoothOut.model_validate(r | free | {"override_note": None}) for r in rows]
    return Page(items=added, total=len(added), limit=len(added), offset=0)


# A hall with its booths counted, in one statement (a page of halls is one query).
HALL_WITH_COUNTS = select(
    halls,
    select(func.count()).where(booths.c.hall_id == halls.c.id).scalar_subquery().label("booths"),
    select(func.count(booths.c.achievement_id))
    .where(booths.c.hall_id == halls.c.id)
    .scalar_subquery()
    .label("booths_assigned"),
)


async def list_halls(
    uow: UnitOfWork, edition: Edition, principal: Principal, paging: PageRequest
) -> Page[HallOut]:
    check_may_read(principal, edition)
    return await paginate(
        uow.session,
        HALL_WITH_COUNTS,
        paging,
        HallOut.model_validate,
        halls.c.kind,
        halls.c.code,
    )


async def show_hall(
    uow: UnitOfWork, edition: Edition, principal: Principal, hall_id: uuid.UUID
) -> HallOut:
    check_may_read(principal, edition)
    return await _out(uow, await load_hall(uow, hall_id))


async def hall_log_of(
    uow: UnitOfWork,
    edition: Edition,
    principal: Principal,
    hall_id: uuid.UUID,
    paging: PageRequest,
) -> Page[HallLogEntry]:
    check_may_read(principal, edition)
    hall = await load_hall(uow, hall_id)
    return await paginate(
        uow.session,
        select(hall_log).where(hall_log.c.hall_id == hall["id"]),
        paging,
        _log_entry,
        hall_log.c.seq,
    )


async def list_booths(
    uow: UnitOfWork,
    edition: Edition,
    principal: Principal,
    hall_id: uuid.UUID,
    paging: PageRequest,
) -> Page[BoothOut]:
    check_may_read(principal, edition)
    hall = await load_hall(uow, hall_id)
    return await paginate(
        uow.session,
        select(booths).where(booths.c.hall_id == hall["id"]),
        paging,
        BoothOut.model_validate,
        booths.c.code,
    )


def _log_entry(row: dict) -> HallLogEntry:
    problems = json.loads(row["problems"]) if row["problems"] is not None else None
    return HallLogEntry.model_validate(row | {"problems": problems})


async def load_hall(uow: UnitOfWork, hall_id: uuid.UUID | str) -> dict:
    row = (await uow.session.execute(select(halls).where(halls.c.id == str(hall_id)))).first()
    if row is None:
        raise NotFound(f"no hall {hall_id}", field="hall_id")
    return row._asdict()


async def _set_stage(
    uow,
    row: dict,
    stage: Stage,
    principal: Principal,
    now: datetime,
    inspection_failed: bool | None = None,
) -> dict:
    values = {"stage": stage.value, "updated_at": now, "updated_by": principal.id}
    if inspection_failed is not None:
        values["inspection_failed"] = inspection_failed
    result = await uow.session.execute(
        update(halls).where(halls.c.id == row["id"], halls.c.stage == row["stage"]).values(values)
    )
    if result.rowcount != 1:
        raise Conflict("the hall changed meanwhile; reload it and try again")
    return row | values


async def _log(
    uow, hall_id, action, from_stage, to_stage, principal, now, passed=None, problems=None
) -> None:
    await uow.session.execute(
        insert(hall_log).values(
            hall_id=hall_id,
            action=action,
            from_stage=from_stage.value if from_stage else None,
            to_stage=to_stage.value,
            passed=passed,
            problems=json.dumps(problems, ensure_ascii=False) if problems is not None else None,
            actor=principal.id,
            at=now,
        )
    )


def _hall_data(row: dict) -> HallData:
    return HallData(
        hall_id=row["id"],
        code=row["code"],
        name=row["name"],
        kind=row["kind"],
        county=row["county"],
        stage=row["stage"],
    )


async def _out(uow: UnitOfWork, row: dict) -> HallOut:
    total, assigned = (
        await uow.session.execute(
            select(func.count(), func.count(booths.c.achievement_id)).where(
                booths.c.hall_id == row["id"]
            )
        )
    ).one()
    return HallOut.model_validate(row | {"booths": total, "booths_assigned": assigned})
