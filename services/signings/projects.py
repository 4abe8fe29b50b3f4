"""Signing project use cases: propose, move through the pipeline, cancel, read, total."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update

from services.signings.domain import (
    OPEN_STAGES,
    Stage,
    check_cancellable,
    check_manual_move,
    check_may_manage,
    in_wan,
    is_manager,
)
from services.signings.models import achievements, project_log, projects
from services.signings.order import announce_running_order
from services.signings.schemas import (
    ProjectIn,
    ProjectOut,
    StageLogEntry,
    Total,
    Totals,
    TotalsBy,
)
from services.signings.views import project_data, project_out
from shared.api import Page, PageRequest, paginate
from shared.auth import Principal
from shared.edition import Edition
from shared.events.signings import (
    CancelledData,
    ProjectCancelled,
    ProjectProposed,
    ProjectStageChanged,
    StageChangedData,
)
from shared.problems import Conflict, Forbidden, NotFound
from shared.uow import UnitOfWork

TOTAL_DIMENSIONS = {
    TotalsBy.COUNTY: projects.c.county,
    TotalsBy.KIND: projects.c.kind,
    TotalsBy.STAGE: projects.c.stage,
}


async def propose(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, data: ProjectIn
) -> ProjectOut:
    """`data.county` is one of the edition's (the API checks it)."""
    check_may_manage(principal, edition, data.county)
    if data.achievement_id is not None:
        known = await uow.session.scalar(
            select(achievements.c.county).where(
                achievements.c.achievement_id == str(data.achievement_id)
            )
        )
        if known is None:
            raise NotFound(
                f"registration has not reported an achievement {data.achievement_id}",
                field="achievement_id",
            )
    row = data.model_dump(mode="json") | {
        "id": str(uuid.uuid4()),
        "stage": Stage.PROPOSED.value,
        "stage_since": now,
        "slot_id": None,
        "slot_position": None,
        "reason": None,
        "version": 1,
        "created_at": now,
        "created_by": principal.id,
        "updated_at": now,
        "updated_by": principal.id,
    }
    await uow.session.execute(insert(projects).values(row))
    await log_stage(uow, row, None, principal.id, now)
    uow.emit(
        ProjectProposed(
            edition=edition.code, actor=principal.id, occurred_at=now, data=project_data(row)
        )
    )
    return project_out(row, now)


async def move(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    project_id: uuid.UUID,
    wanted: Stage,
    reason: str | None,
) -> ProjectOut:
    current = await load_project(uow, project_id)
    check_may_manage(principal, edition, current["county"])
    check_manual_move(Stage(current["stage"]), wanted, reason)
    row = await save_stage(uow, current, wanted, principal.id, now, reason=reason)
    data = StageChangedData(
        **project_data(row).model_dump(), from_stage=current["stage"], reason=reason
    )
    uow.emit(
        ProjectStageChanged(edition=edition.code, actor=principal.id, occurred_at=now, data=data)
    )
    return project_out(row, now)


async def cancel(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    project_id: uuid.UUID,
    reason: str,
) -> ProjectOut:
    current = await load_project(uow, project_id)
    check_may_manage(principal, edition, current["county"])
    check_cancellable(Stage(current["stage"]))
    row = await save_stage(
        uow, current, Stage.CANCELLED, principal.id, now, reason=reason, slot_id=None
    )
    data = CancelledData(
        **project_data(row).model_dump(), from_stage=current["stage"], reason=reason
    )
    uow.emit(ProjectCancelled(edition=edition.code, actor=principal.id, occurred_at=now, data=data))
    if current["slot_id"]:  # it left its slot: the running order changed
        await announce_running_order(uow, edition, now, principal.id)
    return project_out(row, now)


async def list_projects(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    page: PageRequest,
    county: str | None = None,
    stage: Stage | None = None,
    stale_days: int | None = None,
) -> Page[ProjectOut]:
    """With `stale_days`: open projects that have stayed in their stage at least that long."""
    county = _visible_county(edition, principal, county)
    query = select(projects)
    if county:
        query = query.where(projects.c.county == county)
    if stage:
        query = query.where(projects.c.stage == stage.value)
    if stale_days is not None:
        query = query.where(
            projects.c.stage.in_([s.value for s in OPEN_STAGES]),
            projects.c.stage_since <= now - timedelta(days=stale_days),
        )
    return await paginate(
        uow.session,
        query,
        page,
        lambda r: project_out(r, now),
        projects.c.stage_since,
        projects.c.id,
    )


async def show(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, project_id: uuid.UUID
) -> ProjectOut:
    row = await load_project(uow, project_id)
    _visible_county(edition, principal, row["county"])
    return project_out(row, now)


async def stage_log(
    uow: UnitOfWork,
    edition: Edition,
    principal: Principal,
    page: PageRequest,
    project_id: uuid.UUID,
) -> Page[StageLogEntry]:
    row = await load_project(uow, project_id)
    _visible_county(edition, principal, row["county"])
    query = select(project_log).where(project_log.c.project_id == row["id"])
    return await paginate(uow.session, query, page, StageLogEntry.model_validate, project_log.c.seq)


async def totals(
    uow: UnitOfWork,
    edition: Edition,
    by: TotalsBy,
    county: str | None = None,
    stage: Stage | None = None,
) -> Totals:
    """Count and amount per county, kind or stage; cancelled projects are left out unless asked for."""
    dimension = TOTAL_DIMENSIONS[by]
    query = (
        select(dimension, func.count(), func.coalesce(func.sum(projects.c.amount_cny), 0))
        .group_by(dimension)
        .order_by(dimension)
    )
    if county:
        query = query.where(projects.c.county == county)
    if stage:
        query = query.where(projects.c.stage == stage.value)
    else:
        query = query.where(projects.c.stage != Stage.CANCELLED.value)
    rows = [
        Total(key=k, count=n, amount_cny=int(a), amount_wan=in_wan(int(a)))
        for k, n, a in await uow.session.execute(query)
    ]
    amount = sum(r.amount_cny for r in rows)
    return Totals(
        by=by,
        rows=rows,
        count=sum(r.count for r in rows),
        amount_cny=amount,
        amount_wan=in_wan(amount),
    )


async def load_project(uow: UnitOfWork, project_id) -> dict:
    row = (
        await uow.session.execute(select(projects).where(projects.c.id == str(project_id)))
    ).first()
    if row is None:
        raise NotFound(f"no project {project_id}", field="project_id")
    return row._asdict()


async def save_stage(
    uow: UnitOfWork, current: dict, stage: Stage, actor: str, now: datetime, reason=None, **extra
) -> dict:
    """The next version of the project, in `stage` since now; refused if it changed meanwhile."""
    values = {
        "stage": stage.value,
        "reason": reason,
        "version": current["version"] + 1,
        "updated_at": now,
        "updated_by": actor,
    }
    if stage.value != current["stage"]:
        values["stage_since"] = now
    values |= extra
    result = await uow.session.execute(
        update(projects)
        .where(projects.c.id == current["id"], projects.c.version == current["version"])
        .values(values)
    )
    if result.rowcount != 1:
        raise Conflict("the project changed meanwhile; reload it and try again")
    row = current | values
    await log_stage(uow, row, current["stage"], actor, now)
    return row


async def log_stage(
    uow: UnitOfWork, row: dict, from_stage: str | None, actor: str, now: datetime
) -> None:
    await uow.session.execute(
        insert(project_log).values(
            project_id=row["id"],
            from_stage=from_stage,
            to_stage=row["stage"],
            reason=row["reason"],
            slot_id=row["slot_id"],
            actor=actor,
            at=now,
        )
    )


def _visible_county(edition: Edition, principal: Principal, county: str | None) -> str | None:
    """The county a caller's reading is confined to; `county` is one of the edition's."""
    if is_manager(principal, edition):
        return county
    if principal.county is None or (county is not None and county != principal.county):
        raise Forbidden(f"{principal.role} may not read projects of {county or 'every county'}")
    return principal.county
