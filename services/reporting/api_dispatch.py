"""Reporting HTTP endpoints for the daily dispatch: tasks and written reports (briefings and
the clock: api_briefings.py)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.convertors import Convertor, register_url_convertor

from services.reporting import briefing, responsibles, tasks, written_reports
from services.reporting.cadence import PERIOD_CODE, periods
from services.reporting.schemas import (
    MatrixRow,
    OverdueOut,
    PeriodOut,
    QueryBool,
    ReportIn,
    ReportOut,
    ResponsibleOut,
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
)
from shared.problems import Forbidden


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
    The person is kept by name here only: the task's events name them by `responsible_id`
    (the same name in the same group is the same person). Location: where the task is shown."""
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


@router.post("/responsibles/{responsible_id}/erase", response_model=ResponsibleOut, tags=["tasks"])
async def erase_responsible(
    responsible_id: uuid.UUID,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Erase the name of a person tasks name as responsible (`responsible_id` of a task), at
    their request: their tasks keep the id and show `responsible: null`, the briefings already
    issued and the answers kept for Idempotency-Key replays lose the name, and
    `expo.reporting.responsible.erased` lists their tasks for integrators. Names never go on
    the bus. The group that named them, the coordination group and the committee may erase;
    erasing again is a 409 `already_erased`."""
    return await run_use_case(runtime, request, principal, key, responsibles.erase, responsible_id)


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
