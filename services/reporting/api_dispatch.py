"""Reporting HTTP endpoints for the daily dispatch: tasks, written reports, briefings, the clock."""

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from sqlalchemy import select
from starlette.convertors import Convertor, register_url_convertor

from services.reporting import briefing, scheduler, tasks, written_reports
from services.reporting.cadence import PERIOD_CODE, periods
from services.reporting.domain import Rule
from services.reporting.models import briefings
from services.reporting.schemas import (
    BriefingFormat,
    BriefingIn,
    BriefingOut,
    ClockIn,
    ClockMoved,
    ClockOut,
    MatrixRow,
    OverdueOut,
    PeriodOut,
    QueryBool,
    ReportIn,
    ReportOut,
    TaskIn,
    TaskOut,
    TaskUpdateIn,
    TaskUpdateOut,
)
from shared.api import (
    CurrentPrincipal,
    IdempotencyKey,
    Page,
    Paging,
    RuntimeDep,
    at,
    known_code,
    page_of,
    run_use_case,
    write,
)
from shared.auth import Principal as Caller
from shared.edition import Edition
from shared.problems import Forbidden, NotFound, RuleViolated
from shared.schemas import DayIn
from shared.uow import UnitOfWork


class PeriodConvertor(Convertor[str]):
    """A path segment that is a period's code (W2020-07-20, D2020-08-16), so that
    /reports/matrix is never taken for a period: its other methods answer 405 with the
    methods /reports/matrix has, as the document says."""

    regex = PERIOD_CODE

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


# Registered before the routes below are declared: `{period:period}` compiles to its regex.
register_url_convertor("period", PeriodConvertor())

router = APIRouter()
Principal = CurrentPrincipal
Key = IdempotencyKey
# The path parameter as the document shows it: the convertor's regex, anchored (the two agree).
PeriodCode = Annotated[
    str,
    Path(
        pattern=f"^{PERIOD_CODE}$",
        description="W<first day> for a week, D<day> for a day",
        examples=["W2020-07-20", "D2020-08-16"],
    ),
]


# Tasks ---------------------------------------------------------------------------------------


@router.post("/tasks", status_code=201, response_model=TaskOut, tags=["tasks"])
async def create_task(
    body: TaskIn, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    """A working group's task: a responsible person, a deadline and a quality standard.
    Location: where the task is shown."""
    known_code(runtime, "group", body.group)
    return await run_use_case(
        runtime,
        request,
        principal,
        key,
        tasks.create,
        body,
        status_code=201,
        location=at("/api/v1/tasks/{id}"),
    )


@router.get("/tasks/{task_id}", response_model=TaskOut, tags=["tasks"])
async def show_task(task_id: uuid.UUID, principal: Principal, runtime: RuntimeDep):
    async with runtime.unit_of_work() as uow:
        return await tasks.show(uow, runtime.clock.now(), principal, task_id)


@router.post("/tasks/{task_id}/updates", response_model=TaskOut, tags=["tasks"])
async def update_task(
    task_id: uuid.UUID,
    body: TaskUpdateIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Status and progress (blocked needs a reason). Answers 200 with the task as it now is:
    an update changes the task (like a move of any other record's state); it is kept in the
    task's history (`GET /tasks/{id}/updates`), not a resource of its own."""
    return await run_use_case(runtime, request, principal, key, tasks.record_update, task_id, body)


@router.get("/tasks", response_model=Page[TaskOut], tags=["tasks"])
async def list_tasks(
    principal: Principal,
    runtime: RuntimeDep,
    paging: Paging,
    group: Annotated[str | None, Query(description="A working group of the edition")] = None,
    overdue: Annotated[
        QueryBool, Query(description="`true`: only tasks past their deadline and not done")
    ] = None,
):
    """Tasks by deadline."""
    if group is not None:
        known_code(runtime, "group", group)
    async with runtime.unit_of_work() as uow:
        return await tasks.list_tasks(uow, runtime.clock.now(), principal, paging, group, overdue)


@router.get("/tasks/{task_id}/updates", response_model=Page[TaskUpdateOut], tags=["tasks"])
async def task_history(
    task_id: uuid.UUID, principal: Principal, runtime: RuntimeDep, paging: Paging
):
    """Every update of the task, oldest first."""
    async with runtime.unit_of_work() as uow:
        return await tasks.history(uow, principal, paging, task_id)


# Written reports -----------------------------------------------------------------------------


@router.post(
    "/reports/{period:period}", status_code=201, response_model=ReportOut, tags=["reports"]
)
async def file_report(
    period: PeriodCode,
    body: ReportIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """File the written report (书面反馈报告) of a period, as the county or group you are; filing
    again makes a new version (the first one decides whether it was on time). A period the
    edition does not have is a 404. Location: the reporter's versions of the period."""
    return await run_use_case(
        runtime,
        request,
        principal,
        key,
        written_reports.submit,
        period,
        body,
        status_code=201,
        location=at("/api/v1/reports/{reporter}/{period}"),
    )


@router.get("/reports/matrix", response_model=Page[MatrixRow], tags=["reports"])
async def report_matrix(principal: Principal, runtime: RuntimeDep, paging: Paging):
    """Every reporter × period: on_time, late, missing or pending, with the escalation level.
    One row per reporter (a county sees its own row only)."""
    async with runtime.unit_of_work() as uow:
        return await written_reports.matrix(
            uow, runtime.edition, runtime.clock.now(), principal, paging
        )


@router.get("/reports/{reporter}/{period:period}", response_model=Page[ReportOut], tags=["reports"])
async def report_versions(
    reporter: str, period: PeriodCode, principal: Principal, runtime: RuntimeDep, paging: Paging
):
    """Every version the reporter filed for the period, oldest first. A reporter or a period
    the edition does not have is a 404; a known one not filed yet, an empty page."""
    async with runtime.unit_of_work() as uow:
        return await written_reports.report_versions(
            uow, runtime.edition, principal, paging, reporter, period
        )


@router.get("/overdue", response_model=OverdueOut, tags=["reports"])
async def overdue(principal: Principal, runtime: RuntimeDep):
    """What is late right now: tasks past their deadline and reports not filed by their due time."""
    if not (principal.is_committee or principal.group or principal.role == "ops"):
        raise Forbidden(f"{principal.role} may not read what is late")
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        late_tasks = await tasks.query_tasks(uow, now, overdue=True)
        missing = await briefing.missing_reports(uow, runtime.edition, now)
    return {"now": now, "tasks": late_tasks, "reports": missing}


@router.get("/periods", response_model=Page[PeriodOut], tags=["reports"])
async def list_periods(principal: Principal, runtime: RuntimeDep, paging: Paging):
    """The reporting periods in order: weeks until the cut-over, days after."""
    found = [
        PeriodOut(code=p.code, first=p.first, last=p.last, due_at=p.due_at)
        for p in periods(runtime.edition)
    ]
    return page_of(found, paging)


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
    """Outside production, the committee or ops may move business time (to rehearse the
    preparation); the scheduler then runs at once and reports what it said."""
    if runtime.settings.env == "production":
        raise Forbidden("the clock is real time in production")
    if not (principal.is_committee or principal.role == "ops"):
        raise Forbidden("only the committee or ops move the clock")

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
