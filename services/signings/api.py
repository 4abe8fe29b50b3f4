"""Signings HTTP endpoints: parse, call a use case (which authorizes), answer."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.signings import projects, running_order
from services.signings.domain import Stage
from services.signings.schemas import (
    ProjectIn,
    ProjectOut,
    ReorderIn,
    SlotIn,
    SlotOut,
    SlotProjectIn,
    StageIn,
    StageLogEntry,
    Totals,
    TotalsBy,
)
from shared.api import (
    CountyFilter,
    CurrentPrincipal,
    IdempotencyKey,
    Page,
    Paging,
    RuntimeDep,
    at,
    known_code,
    page_of,
    run_use_case,
)
from shared.schemas import ReasonIn

router = APIRouter()
Principal = CurrentPrincipal
Key = IdempotencyKey


@router.post("/projects", status_code=201, response_model=ProjectOut, tags=["projects"])
async def propose_project(
    body: ProjectIn, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    """Propose a signing project (签约项目); the amount is whole yuan. Location: where it is
    shown."""
    known_code(runtime, "county", body.county)
    return await run_use_case(
        runtime,
        request,
        principal,
        key,
        projects.propose,
        body,
        status_code=201,
        location=at("/api/v1/projects/{id}"),
    )


@router.post("/projects/{project_id}/stage", response_model=ProjectOut, tags=["projects"])
async def move_project(
    project_id: uuid.UUID,
    body: StageIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """proposed → negotiating → agreed; agreed → negotiating needs a reason. A refused move
    answers 409 `transition` with the moves `allowed` from the project's stage."""
    return await run_use_case(
        runtime, request, principal, key, projects.move, project_id, body.stage, body.reason
    )


@router.post("/projects/{project_id}/cancel", response_model=ProjectOut, tags=["projects"])
async def cancel_project(
    project_id: uuid.UUID,
    body: ReasonIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Take a project out of the pipeline (and out of its slot), saying why."""
    return await run_use_case(
        runtime, request, principal, key, projects.cancel, project_id, body.reason
    )


@router.get("/projects", response_model=Page[ProjectOut], tags=["projects"])
async def list_projects(
    principal: Principal,
    runtime: RuntimeDep,
    paging: Paging,
    county: CountyFilter = None,
    stage: Stage | None = None,
    stale_days: Annotated[
        int | None, Query(ge=1, le=365, description="Open projects in their stage this long")
    ] = None,
):
    """Projects, longest in their stage first. A county sees its own."""
    async with runtime.unit_of_work() as uow:
        return await projects.list_projects(
            uow, runtime.edition, runtime.clock.now(), principal, paging, county, stage, stale_days
        )


@router.get("/projects/{project_id}", response_model=ProjectOut, tags=["projects"])
async def show_project(project_id: uuid.UUID, principal: Principal, runtime: RuntimeDep):
    async with runtime.unit_of_work() as uow:
        return await projects.show(uow, runtime.edition, runtime.clock.now(), principal, project_id)


@router.get("/projects/{project_id}/log", response_model=Page[StageLogEntry], tags=["projects"])
async def project_stage_log(
    project_id: uuid.UUID, principal: Principal, runtime: RuntimeDep, paging: Paging
):
    """Every stage the project went through, oldest first: when, who, why."""
    async with runtime.unit_of_work() as uow:
        return await projects.stage_log(uow, runtime.edition, principal, paging, project_id)


@router.get("/totals", response_model=Totals, tags=["projects"])
async def totals(
    principal: Principal,
    runtime: RuntimeDep,
    by: TotalsBy = TotalsBy.COUNTY,
    county: CountyFilter = None,
    stage: Stage | None = None,
):
    """Count and amount (yuan and 万元) by county, kind or stage; cancelled ones only when asked."""
    async with runtime.unit_of_work() as uow:
        return await projects.totals(uow, runtime.edition, by, county, stage)


@router.get("/running-order", response_model=Page[SlotOut], tags=["running order"])
async def show_running_order(principal: Principal, runtime: RuntimeDep, paging: Paging):
    """The ceremony's slots in order, each with the projects signed in it."""
    async with runtime.unit_of_work() as uow:
        return page_of(await running_order.running_order(uow, runtime.clock.now()), paging)


@router.post(
    "/running-order/slots", status_code=201, response_model=SlotOut, tags=["running order"]
)
async def create_slot(
    body: SlotIn, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    """Add a slot, placed among the others by its time; no two slots start at the same time.
    Answers the slot; Location: where it is shown."""
    return await run_use_case(
        runtime,
        request,
        principal,
        key,
        running_order.create_slot,
        body,
        status_code=201,
        location=at("/api/v1/running-order/slots/{id}"),
    )


@router.get("/running-order/slots/{slot_id}", response_model=SlotOut, tags=["running order"])
async def show_slot(slot_id: uuid.UUID, principal: Principal, runtime: RuntimeDep):
    """One slot: its place, time and status, with its projects in signing order."""
    async with runtime.unit_of_work() as uow:
        return await running_order.show_slot(uow, runtime.clock.now(), slot_id)


@router.post(
    "/running-order/slots/{slot_id}/projects", response_model=SlotOut, tags=["running order"]
)
async def add_project_to_slot(
    slot_id: uuid.UUID,
    body: SlotProjectIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Schedule an agreed project in this slot (or move it here from another); answers the
    slot."""
    return await run_use_case(
        runtime, request, principal, key, running_order.add_project, slot_id, body.project_id
    )


@router.put("/running-order", response_model=Page[SlotOut], tags=["running order"])
async def reorder(
    body: ReorderIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    paging: Paging,
    key: Key = None,
):
    """Reorder every slot in one request; the slots take the existing times in their new order.
    Answers the running order as it now stands (a page, like GET /running-order)."""

    async def reorder_and_show(uow, edition, now, principal, slot_ids):
        order = await running_order.reorder(uow, edition, now, principal, slot_ids)
        return page_of(order, paging)

    return await run_use_case(runtime, request, principal, key, reorder_and_show, body.slot_ids)


@router.post("/running-order/slots/{slot_id}/hold", response_model=SlotOut, tags=["running order"])
async def hold_slot(
    slot_id: uuid.UUID, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    """The slot took place: its projects are signed. Answers the slot."""
    return await run_use_case(runtime, request, principal, key, running_order.hold_slot, slot_id)
