"""Reporting HTTP endpoints for the daily dispatch: tasks, written reports, briefings, the clock."""

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select

from services.reporting import briefing, tasks, written_reports
from services.reporting.models import briefings
from services.reporting.scheduler import move_clock
from services.reporting.schemas import (
    MatrixRow,
    ReportIn,
    ReportOut,
    TaskIn,
    TaskOut,
    TaskUpdateIn,
    TaskUpdateOut,
)
from shared.api import CurrentPrincipal, IdempotencyKey, RuntimeDep, run_use_case
from shared.problems import Forbidden, NotFound

router = APIRouter()
Principal = CurrentPrincipal
Key = IdempotencyKey


@router.post("/tasks", status_code=201, response_model=TaskOut, tags=["tasks"])
async def create_task(
    body: TaskIn, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    """A working group's task: a responsible person, a deadline and a quality standard."""
    return await run_use_case(runtime, request, principal, key, tasks.create, body, status_code=201)


@router.post("/tasks/{task_id}/updates", response_model=TaskOut, tags=["tasks"])
async def update_task(
    task_id: uuid.UUID,
    body: TaskUpdateIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Status and progress (blocked needs a reason); every update is kept."""
    return await run_use_case(runtime, request, principal, key, tasks.record_update, task_id, body)


@router.get("/tasks", response_model=list[TaskOut], tags=["tasks"])
async def list_tasks(
    principal: Principal,
    runtime: RuntimeDep,
    group: Annotated[str | None, Query(max_length=32)] = None,
    overdue: bool | None = None,
):
    async with runtime.unit_of_work() as uow:
        return await tasks.list_tasks(uow, runtime.clock.now(), principal, group, overdue)


@router.get("/tasks/{task_id}/updates", response_model=list[TaskUpdateOut], tags=["tasks"])
async def task_history(task_id: uuid.UUID, principal: Principal, runtime: RuntimeDep):
    async with runtime.unit_of_work() as uow:
        return await tasks.history(uow, principal, task_id)


@router.post("/reports/{period}", status_code=201, response_model=ReportOut, tags=["reports"])
async def file_report(
    period: str,
    body: ReportIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """File the written report (书面反馈报告) of a period, as the county or group you are; filing
    again makes a new version (the first one decides whether it was on time)."""
    return await run_use_case(
        runtime, request, principal, key, written_reports.submit, period, body, status_code=201
    )


@router.get("/reports/matrix", response_model=list[MatrixRow], tags=["reports"])
async def report_matrix(principal: Principal, runtime: RuntimeDep):
    """Every reporter × period: on_time, late, missing or pending, with the escalation level."""
    async with runtime.unit_of_work() as uow:
        return await written_reports.matrix(uow, runtime.edition, runtime.clock.now(), principal)


@router.get("/reports/{reporter}/{period}", response_model=list[ReportOut], tags=["reports"])
async def report_versions(reporter: str, period: str, principal: Principal, runtime: RuntimeDep):
    async with runtime.unit_of_work() as uow:
        return await written_reports.report_versions(
            uow, runtime.edition, principal, reporter, period
        )


@router.get("/overdue", tags=["reports"])
async def overdue(principal: Principal, runtime: RuntimeDep) -> dict:
    """What is late right now: tasks past their deadline and reports not filed by their due time."""
    if not (principal.is_committee or principal.group or principal.role == "ops"):
        raise Forbidden(f"{principal.role} may not read what is late")
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        late_tasks = await tasks.query_tasks(uow, now, overdue=True)
        missing = await briefing.missing_reports(uow, runtime.edition, now)
    return {"now": now, "tasks": late_tasks, "reports": missing}


@router.get("/periods", tags=["reports"])
async def list_periods(principal: Principal, runtime: RuntimeDep) -> list[dict]:
    from services.reporting.cadence import periods

    return [
        {"code": p.code, "first": p.first, "last": p.last, "due_at": p.due_at}
        for p in periods(runtime.edition)
    ]


class BriefingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: date
    reissue: bool = Field(
        default=False,
        description="Issue the day's briefing again with the figures of now (after late news); "
        "it replaces the earlier text and is announced again",
    )


@router.post("/briefings", status_code=201, tags=["briefings"])
async def issue_briefing(
    body: BriefingRequest,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Issue the briefing of a day now (it is also issued each morning by itself)."""
    if not (
        principal.is_committee or principal.group == runtime.edition.responsibilities.coordination
    ):
        raise Forbidden("the committee and the coordination group issue briefings")

    async def issue(uow, edition, now, who):
        row = await briefing.issue(uow, edition, now, body.day, who.id, reissue=body.reissue)
        return {"day": row["day"], "issued_at": row["issued_at"], "issued_by": row["issued_by"]}

    return await run_use_case(runtime, request, principal, key, issue, status_code=201)


@router.get(
    "/briefings/{day}",
    tags=["briefings"],
    response_model=None,
    # The briefing is a document, not JSON: say so, or clients expect application/json.
    responses={
        200: {
            "description": "The day's briefing, as Markdown or as HTML",
            "content": {"text/markdown": {"schema": {"type": "string"}}, "text/html": {}},
        }
    },
)
async def show_briefing(
    day: date,
    principal: Principal,
    runtime: RuntimeDep,
    format: Literal["markdown", "html"] = "markdown",
) -> PlainTextResponse | HTMLResponse:
    if principal.role in ("integrator",):
        raise Forbidden("integrators read the briefing.issued event")
    if principal.county is not None:
        # The briefing lists every county's figures and what is late: the dispatch's own.
        raise Forbidden("the briefing is for the committee, the groups and ops")
    async with runtime.sessions() as session:
        row = (await session.execute(select(briefings).where(briefings.c.day == day))).first()
    if row is None:
        raise NotFound(f"no briefing for {day}", field="day")
    if format == "html":
        return HTMLResponse(row.html)
    return PlainTextResponse(row.markdown, media_type="text/markdown; charset=utf-8")


class ClockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    now: AwareDatetime


@router.put("/clock", tags=["clock"])
async def set_clock(body: ClockIn, principal: Principal, runtime: RuntimeDep) -> dict:
    """Outside production, the committee or ops may move business time (to rehearse the
    preparation); the scheduler then runs at once and reports what it said."""
    if runtime.settings.env == "production":
        raise Forbidden("the clock is real time in production")
    if not (principal.is_committee or principal.role == "ops"):
        raise Forbidden("only the committee or ops move the clock")
    said = await move_clock(runtime, body.now)
    return {"now": runtime.clock.now(), "said": said}


@router.get("/clock", tags=["clock"])
async def show_clock(principal: Principal, runtime: RuntimeDep) -> dict:
    return {
        "now": runtime.clock.now(),
        "local": runtime.clock.now().astimezone(runtime.edition.zone),
    }
