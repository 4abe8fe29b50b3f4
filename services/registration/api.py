"""Registration HTTP endpoints: parse, call a use case (which authorizes), answer."""

import uuid

from fastapi import APIRouter, Request

from services.registration import achievements, units
from services.registration.domain import Action, Status, UnitKind
from services.registration.schemas import (
    AchievementIn,
    AchievementOut,
    AchievementPatch,
    HistoryEntry,
    OptionalReasonIn,
    UnitIn,
    UnitOut,
    UnitPatch,
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
    run_use_case,
)
from shared.schemas import ReasonIn

router = APIRouter()


@router.post("/units", status_code=201, response_model=UnitOut, tags=["units"])
async def register_unit(
    body: UnitIn,
    request: Request,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    key: IdempotencyKey = None,
):
    """Register a participating unit (参展单位) of a county; Location: where it is shown."""
    known_code(runtime, "county", body.county)
    return await run_use_case(
        runtime,
        request,
        principal,
        key,
        units.register_unit,
        body,
        status_code=201,
        location=at("/api/v1/units/{id}"),
    )


@router.patch("/units/{unit_id}", response_model=UnitOut, tags=["units"])
async def update_unit(
    unit_id: uuid.UUID,
    body: UnitPatch,
    request: Request,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    key: IdempotencyKey = None,
):
    """Change a unit's name, kind or contact. Its county never changes."""
    return await run_use_case(runtime, request, principal, key, units.update_unit, unit_id, body)


@router.get("/units", response_model=Page[UnitOut], tags=["units"])
async def list_units(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    paging: Paging,
    county: CountyFilter = None,
    kind: UnitKind | None = None,
):
    """Units, by county and name. A county sees its own only."""
    async with runtime.unit_of_work() as uow:
        return await units.list_units(uow, runtime.edition, principal, paging, county, kind)


@router.get("/units/{unit_id}", response_model=UnitOut, tags=["units"])
async def show_unit(unit_id: uuid.UUID, principal: CurrentPrincipal, runtime: RuntimeDep):
    async with runtime.unit_of_work() as uow:
        return await units.show_unit(uow, runtime.edition, principal, unit_id)


@router.post("/achievements", status_code=201, response_model=AchievementOut, tags=["achievements"])
async def draft_achievement(
    body: AchievementIn,
    request: Request,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    key: IdempotencyKey = None,
):
    """Register an achievement (科技成果) of a unit, as a draft; Location: where it is shown."""
    return await run_use_case(
        runtime,
        request,
        principal,
        key,
        achievements.draft_achievement,
        body,
        status_code=201,
        location=at("/api/v1/achievements/{id}"),
    )


@router.patch(
    "/achievements/{achievement_id}", response_model=AchievementOut, tags=["achievements"]
)
async def edit_achievement(
    achievement_id: uuid.UUID,
    body: AchievementPatch,
    request: Request,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    key: IdempotencyKey = None,
):
    """Correct a draft or rejected achievement; changing an approved one sends it back to review."""
    return await run_use_case(
        runtime, request, principal, key, achievements.edit_achievement, achievement_id, body
    )


async def _act(
    runtime, request, principal, key, achievement_id: uuid.UUID, action: Action, reason=None
):
    return await run_use_case(
        runtime,
        request,
        principal,
        key,
        achievements.act_on_achievement,
        achievement_id,
        action,
        reason,
    )


TRANSITION = {"response_model": AchievementOut, "tags": ["achievements"]}


@router.post("/achievements/{achievement_id}/submit", **TRANSITION)
async def submit_achievement(
    achievement_id: uuid.UUID,
    request: Request,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    key: IdempotencyKey = None,
):
    """Submit a draft or corrected achievement for review (its county)."""
    return await _act(runtime, request, principal, key, achievement_id, Action.SUBMIT)


@router.post("/achievements/{achievement_id}/approve", **TRANSITION)
async def approve_achievement(
    achievement_id: uuid.UUID,
    request: Request,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    key: IdempotencyKey = None,
):
    """Approve a submitted achievement (the reviewing working group or the committee)."""
    return await _act(runtime, request, principal, key, achievement_id, Action.APPROVE)


@router.post("/achievements/{achievement_id}/reject", **TRANSITION)
async def reject_achievement(
    achievement_id: uuid.UUID,
    body: ReasonIn,
    request: Request,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    key: IdempotencyKey = None,
):
    """Reject with a reason (reviewers). Rejecting an approved achievement revokes the approval."""
    return await _act(runtime, request, principal, key, achievement_id, Action.REJECT, body.reason)


@router.post("/achievements/{achievement_id}/withdraw", **TRANSITION)
async def withdraw_achievement(
    achievement_id: uuid.UUID,
    request: Request,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    key: IdempotencyKey = None,
    body: OptionalReasonIn | None = None,
):
    """Withdraw an achievement (its county); it will not be exhibited."""
    reason = body.reason if body else None
    return await _act(runtime, request, principal, key, achievement_id, Action.WITHDRAW, reason)


@router.get("/achievements", response_model=Page[AchievementOut], tags=["achievements"])
async def list_achievements(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    paging: Paging,
    county: CountyFilter = None,
    status: Status | None = None,
    unit_id: uuid.UUID | None = None,
):
    """Achievements, oldest first. A county sees its own only."""
    async with runtime.unit_of_work() as uow:
        return await achievements.list_achievements(
            uow, runtime.edition, principal, paging, county, status, unit_id
        )


@router.get("/achievements/{achievement_id}", response_model=AchievementOut, tags=["achievements"])
async def show_achievement(
    achievement_id: uuid.UUID, principal: CurrentPrincipal, runtime: RuntimeDep
):
    async with runtime.unit_of_work() as uow:
        return await achievements.show_achievement(uow, runtime.edition, principal, achievement_id)


@router.get(
    "/achievements/{achievement_id}/history",
    response_model=Page[HistoryEntry],
    tags=["achievements"],
)
async def achievement_history(
    achievement_id: uuid.UUID, principal: CurrentPrincipal, runtime: RuntimeDep, paging: Paging
):
    """Every change, oldest first: who, when, from which status to which, why, what changed."""
    async with runtime.unit_of_work() as uow:
        return await achievements.achievement_history_of(
            uow, runtime.edition, principal, paging, achievement_id
        )
