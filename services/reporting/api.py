"""Reporting HTTP endpoints."""

from fastapi import APIRouter

from services.reporting.status import units_per_county
from shared.api import CurrentPrincipal, RuntimeDep

router = APIRouter(tags=["status"])


@router.get("/status/units")
async def units_by_county(principal: CurrentPrincipal, runtime: RuntimeDep) -> dict[str, int]:
    """Units registered per county, as the events reported them. A county sees its own."""
    counts = await units_per_county(runtime)
    if principal.county is not None:
        return {principal.county: counts.get(principal.county, 0)}
    return counts
