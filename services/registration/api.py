"""Registration HTTP endpoints: parse, authorize, call a use case, answer."""

import uuid

from fastapi import APIRouter, Request

from services.registration import use_cases
from services.registration.schemas import UnitIn, UnitOut
from shared.api import CurrentPrincipal, IdempotencyKey, RuntimeDep, require_county_access, write
from shared.problems import Forbidden

router = APIRouter(tags=["units"])


@router.post("/units", status_code=201, response_model=UnitOut)
async def register_unit(
    body: UnitIn,
    request: Request,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
):
    """Register a participating unit (参展单位) of a county."""
    use_cases.check_county(runtime.edition, body.county)
    require_county_access(principal, body.county)
    return await write(
        runtime,
        request,
        principal,
        idempotency_key,
        lambda uow: use_cases.register_unit(uow, runtime.edition, principal, body),
    )


@router.get("/units/{unit_id}", response_model=UnitOut)
async def show_unit(unit_id: uuid.UUID, principal: CurrentPrincipal, runtime: RuntimeDep):
    async with runtime.unit_of_work() as uow:
        unit = await use_cases.get_unit(uow, unit_id)
    if principal.county is not None and principal.county != unit.county:
        raise Forbidden(f"{principal.role} may not read units of county {unit.county!r}")
    return unit
