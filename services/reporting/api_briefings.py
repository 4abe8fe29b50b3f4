"""Reporting HTTP endpoints for the daily dispatch briefing (日调度简报) and the rehearsal clock."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from sqlalchemy import select

from services.reporting import briefing, scheduler
from services.reporting.domain import Rule
from services.reporting.models import briefings
from services.reporting.schemas import (
    BriefingFormat,
    BriefingIn,
    BriefingOut,
    ClockIn,
    ClockMoved,
    ClockOut,
)
from shared.api import CurrentPrincipal, IdempotencyKey, RuntimeDep, at, run_use_case, write
from shared.auth import Principal as Caller
from shared.edition import Edition
from shared.problems import Forbidden, NotFound, RuleViolated
from shared.schemas import DayIn
from shared.uow import UnitOfWork

router = APIRouter()
Principal = CurrentPrincipal
Key = IdempotencyKey


# Briefings -----------------------------------------------------------------------------------


def briefing_of(row) -> BriefingOut:
    return BriefingOut(
        day=row["day"],
        issued_at=row["issued_at"],
        issued_by=row["issued_by"],
        markdown=row["markdown"],
    )


@router.post("/briefings", status_code=201, response_model=BriefingOut, tags=["briefings"])
async def issue_briefing(
    body: BriefingIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Issue the briefing of a day of the dispatch period now (it is also issued each morning
    by itself). A day already issued is issued again only with `"reissue": true` (else 409
    `already_issued`). Location: where the briefing is shown."""
    if not (
        principal.is_committee or principal.group == runtime.edition.responsibilities.coordination
    ):
        raise Forbidden("the committee and the coordination group issue briefings")

    async def issue(uow: UnitOfWork, edition: Edition, now: datetime, who: Caller) -> BriefingOut:
        if not body.reissue:
            issued = await uow.session.scalar(
                select(briefings.c.issued_at).where(briefings.c.day == body.day)
            )
            if issued is not None:
                raise RuleViolated(
                    f'the briefing of {body.day} is already issued; send "reissue": true to '
                    "issue it again with the figures of now",
                    rule=Rule.ALREADY_ISSUED,
                    field="reissue",
                )
        row = await briefing.issue(uow, edition, now, body.day, who.id, reissue=body.reissue)
        return briefing_of(row)

    return await run_use_case(
        runtime,
        request,
        principal,
        key,
        issue,
        status_code=201,
        location=at("/api/v1/briefings/{day}"),
    )


@router.get(
    "/briefings/{day}",
    tags=["briefings"],
    response_model=BriefingOut,
    responses={
        200: {
            "description": "The day's briefing: as JSON, as Markdown or as HTML (`format`)",
            "content": {
                "text/markdown": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            },
        }
    },
)
async def show_briefing(
    day: DayIn,
    principal: Principal,
    runtime: RuntimeDep,
    format: Annotated[
        BriefingFormat,
        Query(
            description="`markdown` (text/markdown), `html` (text/html) or `json` "
            "(application/json: when and by whom it was issued, and the Markdown)"
        ),
    ] = BriefingFormat.MARKDOWN,
):
    """The briefing of a day of the dispatch period, as last issued. A day outside the
    dispatch period, or not issued yet, is a 404."""
    if principal.role in ("integrator",):
        raise Forbidden("integrators read the briefing.issued event")
    if principal.county is not None:
        # The briefing lists every county's figures and what is late: the dispatch's own.
        raise Forbidden("the briefing is for the committee, the groups and ops")
    dates = runtime.edition.dates
    if not (dates.dispatch_start <= day <= dates.launch_day):
        raise NotFound(
            f"no briefing for {day}: briefings cover {dates.dispatch_start} to {dates.launch_day}",
            field="day",
        )
    async with runtime.sessions() as session:
        row = (await session.execute(select(briefings).where(briefings.c.day == day))).first()
    if row is None:
        raise NotFound(f"the briefing of {day} is not issued yet", field="day")
    if format is BriefingFormat.HTML:
        return HTMLResponse(row.html)
    if format is BriefingFormat.MARKDOWN:
        return PlainTextResponse(row.markdown, media_type="text/markdown; charset=utf-8")
    return briefing_of(row._asdict())


# The clock -----------------------------------------------------------------------------------


@router.put("/clock", response_model=ClockMoved, tags=["clock"])
async def set_clock(
    body: ClockIn, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    """In a rehearsal (EXPO_REHEARSAL, never in production), the committee may move business
    time; the scheduler then runs at once and reports what it said. What it says (overdue
    tasks, escalations) goes into the permanent event log: hence the opt-in."""
    if not runtime.settings.rehearsal:
        raise Forbidden("the clock is real time: moving it needs a rehearsal (EXPO_REHEARSAL)")
    if not principal.is_committee:
        raise Forbidden("only the committee moves the clock")

    async def move(uow: UnitOfWork) -> ClockMoved:
        runtime.clock.set(body.now)
        said = await scheduler.look(uow, runtime.edition, runtime.clock.now())
        return ClockMoved(now=runtime.clock.now(), said=said)

    # The scheduler's turn first, then the transaction: the order its own ticks take them in.
    async with scheduler.ticks(runtime):
        return await write(runtime, request, principal, key, move, status_code=200)


@router.get("/clock", response_model=ClockOut, tags=["clock"])
async def show_clock(principal: Principal, runtime: RuntimeDep):
    now = runtime.clock.now()
    return ClockOut(
        now=now, today=runtime.edition.local_date(now), time_zone=runtime.edition.time_zone
    )
