"""Reporting HTTP endpoints: status per county and overall. A county sees its own detail."""

from fastapi import APIRouter

from services.reporting.schemas import CountyStatus, StatusOut
from services.reporting.status import county_status, overall, units_per_county
from shared.api import CurrentPrincipal, RuntimeDep
from shared.problems import Forbidden, NotFound

router = APIRouter(tags=["status"])


@router.get("/status/units")
async def units_by_county(principal: CurrentPrincipal, runtime: RuntimeDep) -> dict[str, int]:
    """Units registered per county, as the events reported them. A county sees its own."""
    counts = await units_per_county(runtime)
    if principal.county is not None:
        return {principal.county: counts.get(principal.county, 0)}
    return counts


@router.get("/status", response_model=StatusOut, response_model_exclude_unset=True)
async def status(principal: CurrentPrincipal, runtime: RuntimeDep):
    """Overall figures, every county's with its readiness, and the readiness rule. A county
    gets its own figures only (`counties`, without `overall` and `rule`)."""
    async with runtime.sessions() as session:
        per_county = await county_status(session, runtime.edition)
    if principal.county is not None:
        if principal.county not in per_county:  # a token for a county of another edition
            raise Forbidden(f"{principal.role} is not a county of this edition")
        return StatusOut.model_validate(
            {"counties": {principal.county: per_county[principal.county]}}
        )
    if principal.role in ("integrator",):
        raise Forbidden("integrators read events, not status")
    return StatusOut.model_validate(
        {
            "overall": overall(per_county),
            "counties": per_county,
            "rule": runtime.edition.readiness.model_dump(),
        }
    )


@router.get("/status/{county}", response_model=CountyStatus)
async def status_of(county: str, principal: CurrentPrincipal, runtime: RuntimeDep):
    """One county's figures and readiness; an unknown county is a 404."""
    if principal.role == "integrator":  # as for /status: integrators read events
        raise Forbidden("integrators read events, not status")
    if county not in runtime.edition.county_codes:
        raise NotFound(f"no county {county!r} in this edition", field="county")
    if principal.county is not None and principal.county != county:
        raise Forbidden(f"{principal.role} may not read county {county!r}")
    async with runtime.sessions() as session:
        return (await county_status(session, runtime.edition))[county]
