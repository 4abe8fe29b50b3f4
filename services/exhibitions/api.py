"""Exhibitions HTTP endpoints: parse, call a use case (which authorizes), answer."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.exhibitions import halls, placement, releases
from services.exhibitions.domain import ExhibitStatus, ReleaseAction
from services.exhibitions.schemas import (
    AssignmentIn,
    BoothOut,
    BoothsIn,
    ExhibitOut,
    HallIn,
    HallLogEntry,
    HallOut,
    InspectionIn,
    PlanIn,
    PlanOut,
    ReleaseIn,
    ReleaseOut,
    StageIn,
)
from shared.api import (
    CountyFilter,
    CurrentPrincipal,
    IdempotencyKey,
    Page,
    Paging,
    RuntimeDep,
    at,
    run_use_case,
)
from shared.schemas import ReasonIn, Text100

router = APIRouter()
Principal = CurrentPrincipal
Key = IdempotencyKey


@router.post("/halls", status_code=201, response_model=HallOut, tags=["halls"])
async def create_hall(
    body: HallIn, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    """Plan a hall: a county's own (成果展厅) or a themed one (the exhibition group, the committee)."""
    return await run_use_case(
        runtime,
        request,
        principal,
        key,
        halls.create_hall,
        body,
        status_code=201,
        location=at("/api/v1/halls/{id}"),
    )


@router.get("/halls", response_model=Page[HallOut], tags=["halls"])
async def list_halls(principal: Principal, runtime: RuntimeDep, paging: Paging):
    """Every hall, county halls first, by code."""
    async with runtime.unit_of_work() as uow:
        return await halls.list_halls(uow, runtime.edition, principal, paging)


@router.get("/halls/{hall_id}", response_model=HallOut, tags=["halls"])
async def show_hall(hall_id: uuid.UUID, principal: Principal, runtime: RuntimeDep):
    async with runtime.unit_of_work() as uow:
        return await halls.show_hall(uow, runtime.edition, principal, hall_id)


@router.get("/halls/{hall_id}/log", response_model=Page[HallLogEntry], tags=["halls"])
async def hall_log(hall_id: uuid.UUID, principal: Principal, runtime: RuntimeDep, paging: Paging):
    """Every step and inspection of the hall, oldest first: who, when, with which problems."""
    async with runtime.unit_of_work() as uow:
        return await halls.hall_log_of(uow, runtime.edition, principal, hall_id, paging)


@router.post("/halls/{hall_id}/stage", response_model=HallOut, tags=["halls"])
async def advance_stage(
    hall_id: uuid.UUID,
    body: StageIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Move the hall to its next stage (one step at a time); a refusal names the stage allowed."""
    return await run_use_case(
        runtime, request, principal, key, halls.advance_stage, hall_id, body.stage
    )


@router.post("/halls/{hall_id}/inspections", response_model=HallOut, tags=["halls"])
async def record_inspection(
    hall_id: uuid.UUID,
    body: InspectionIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Record a safety inspection (安全检查); a failed one lists its problems and holds the hall."""
    return await run_use_case(
        runtime, request, principal, key, halls.record_inspection, hall_id, body
    )


@router.post(
    "/halls/{hall_id}/booths", status_code=201, response_model=Page[BoothOut], tags=["booths"]
)
async def add_booths(
    hall_id: uuid.UUID,
    body: BoothsIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Add one or many booths (展位) to a hall, all or nothing; answers the added ones as a page."""
    return await run_use_case(
        runtime,
        request,
        principal,
        key,
        halls.add_booths,
        hall_id,
        body,
        status_code=201,
        location=lambda _added: f"/api/v1/halls/{hall_id}/booths",
    )


@router.get("/halls/{hall_id}/booths", response_model=Page[BoothOut], tags=["booths"])
async def list_booths(
    hall_id: uuid.UUID, principal: Principal, runtime: RuntimeDep, paging: Paging
):
    """The hall's booths, by code."""
    async with runtime.unit_of_work() as uow:
        return await halls.list_booths(uow, runtime.edition, principal, hall_id, paging)


@router.post("/booths/{booth_id}/assignment", response_model=BoothOut, tags=["booths"])
async def assign_booth(
    booth_id: uuid.UUID,
    body: AssignmentIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Place an approved achievement in this booth. Refusals name the rule that stopped it."""
    return await run_use_case(runtime, request, principal, key, placement.assign, booth_id, body)


@router.post("/booths/{booth_id}/release", response_model=BoothOut, tags=["booths"])
async def release_booth(
    booth_id: uuid.UUID,
    body: ReasonIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Free the booth, saying why."""
    return await run_use_case(
        runtime, request, principal, key, placement.release, booth_id, body.reason
    )


@router.get("/exhibits", response_model=Page[ExhibitOut], tags=["booths"])
async def list_exhibits(
    principal: Principal,
    runtime: RuntimeDep,
    county: CountyFilter,
    paging: Paging,
    status: Annotated[
        ExhibitStatus | None, Query(description="The achievement's status in registration")
    ] = None,
    unassigned: Annotated[bool, Query(description="Only those in no booth")] = False,
):
    """Achievements as registration's events told them, with their booth if they have one."""
    async with runtime.unit_of_work() as uow:
        return await placement.list_exhibits(
            uow, runtime.edition, principal, county, status, unassigned, paging
        )


@router.post("/allocation-plans", status_code=201, response_model=PlanOut, tags=["allocation"])
async def propose_plan(
    body: PlanIn, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    """Propose where every unassigned approved achievement could go; nothing changes until confirmed."""
    return await run_use_case(
        runtime,
        request,
        principal,
        key,
        placement.propose_plan,
        body,
        status_code=201,
        location=at("/api/v1/allocation-plans/{id}"),
    )


@router.get("/allocation-plans/{plan_id}", response_model=PlanOut, tags=["allocation"])
async def show_plan(plan_id: uuid.UUID, principal: Principal, runtime: RuntimeDep):
    async with runtime.unit_of_work() as uow:
        return await placement.show_plan(uow, runtime.edition, principal, plan_id)


@router.post("/allocation-plans/{plan_id}/confirm", response_model=PlanOut, tags=["allocation"])
async def confirm_plan(
    plan_id: uuid.UUID, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    """Apply the plan, all or nothing; a plan overtaken by other changes must be proposed again."""
    return await run_use_case(runtime, request, principal, key, placement.confirm_plan, plan_id)


@router.post("/releases", status_code=201, response_model=ReleaseOut, tags=["releases"])
async def schedule_release(
    body: ReleaseIn, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    """Schedule an achievement release session (成果发布); venues cannot be double-booked."""
    return await run_use_case(
        runtime,
        request,
        principal,
        key,
        releases.schedule,
        body,
        status_code=201,
        location=at("/api/v1/releases/{id}"),
    )


@router.get("/releases", response_model=Page[ReleaseOut], tags=["releases"])
async def list_releases(
    principal: Principal,
    runtime: RuntimeDep,
    paging: Paging,
    venue: Annotated[Text100 | None, Query(description="Only this venue's sessions")] = None,
):
    """Release sessions, earliest first."""
    async with runtime.unit_of_work() as uow:
        return await releases.list_releases(uow, runtime.edition, principal, venue, paging)


@router.get("/releases/{release_id}", response_model=ReleaseOut, tags=["releases"])
async def show_release(release_id: uuid.UUID, principal: Principal, runtime: RuntimeDep):
    async with runtime.unit_of_work() as uow:
        return await releases.show_release(uow, runtime.edition, principal, release_id)


@router.post("/releases/{release_id}/hold", response_model=ReleaseOut, tags=["releases"])
async def hold_release(
    release_id: uuid.UUID,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Record that the session took place."""
    return await run_use_case(
        runtime, request, principal, key, releases.act, release_id, ReleaseAction.HOLD
    )


@router.post("/releases/{release_id}/cancel", response_model=ReleaseOut, tags=["releases"])
async def cancel_release(
    release_id: uuid.UUID,
    body: ReasonIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Cancel the session, saying why; its venue slot becomes free."""
    return await run_use_case(
        runtime,
        request,
        principal,
        key,
        releases.act,
        release_id,
        ReleaseAction.CANCEL,
        body.reason,
    )
