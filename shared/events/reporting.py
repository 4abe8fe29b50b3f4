"""Events published by the reporting service (调度与报告): tasks, written reports, briefings,
erasures; and the retired types its stream still holds. People appear by role or by opaque id,
never by name."""

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import Field

from shared.events.base import Event, EventData


class TaskDataV2(EventData):
    """The task as it stands after the change. The person responsible is an opaque id: names
    of people never go on the bus."""

    task_id: uuid.UUID = Field(description="The task's id")
    group: str = Field(description="Code of the working group that owns it, e.g. exhibition")
    title: str = Field(description="What is to be done")
    responsible_id: uuid.UUID = Field(
        description="Opaque id of the person responsible (责任到人), the same on every task its "
        "group names them for. Their name is never on the bus: those allowed to read the task "
        "see it at reporting's `GET /api/v1/tasks/{task_id}`, until it is erased"
    )
    deadline: datetime = Field(description="The time node (时间节点), in UTC")
    status: str = Field(description="not_started | in_progress | done | blocked")
    progress: int = Field(description="Per cent done, 0 to 100")
    blocked_reason: str | None = Field(default=None, description="Why it is blocked")


def _task_v2(status: str, progress: int, blocked_reason: str | None = None) -> dict[str, Any]:
    return {
        "task_id": "e1b7d3f9-6a2c-4b8e-9d4f-1c5a7e3b9d62",
        "group": "exhibition",
        "title": "完成各县区展厅安全检查",
        "responsible_id": "5f0c2a7e-8d41-4b6a-9c3e-2a7d1e9b4c08",
        "deadline": "2020-08-25T10:00:00Z",
        "status": status,
        "progress": progress,
        "blocked_reason": blocked_reason,
    }


class TaskCreatedV2(Event):
    """A working group created a task with a person responsible (by id) and a deadline."""

    TYPE: ClassVar[str] = "expo.reporting.task.created_v2"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "exhibition-leader",
        "data": _task_v2("not_started", 0),
    }
    data: TaskDataV2


class TaskUpdatedV2(Event):
    """The owning group recorded progress on a task: its status and per cent done (when
    blocked, `data.blocked_reason` says why)."""

    TYPE: ClassVar[str] = "expo.reporting.task.updated_v2"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "exhibition-leader",
        "data": _task_v2("blocked", 40, blocked_reason="消防部门检查排期未定"),
    }
    data: TaskDataV2


class TaskOverdueV2(Event):
    """A task passed its deadline (时间节点) without being done; said once."""

    TYPE: ClassVar[str] = "expo.reporting.task.overdue_v2"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "system:scheduler",
        "occurred_at": "2020-08-25T10:00:00Z",
        "data": _task_v2("in_progress", 80),
    }
    data: TaskDataV2


class ReportData(EventData):
    """One reporter's written report for one period (figures null while it is missing)."""

    reporter: str = Field(description="county:<code> or group:<code>")
    period: str = Field(
        description="W<first day> for a week (W2020-07-27), D<day> for a day (D2020-08-16)"
    )
    due_at: datetime = Field(description="When the period's report is due, in UTC")
    version: int | None = Field(
        default=None, description="1 for the first filing, more for corrections; null if missing"
    )
    rag: str | None = Field(
        default=None, description="The reporter's own status: red | amber | green; null if missing"
    )
    on_time: bool | None = Field(
        default=None, description="Whether it was filed by its due time; null if missing"
    )


_REPORT = {
    "reporter": "county:kongtong",
    "period": "W2020-07-27",
    "due_at": "2020-08-02T10:00:00Z",
}
_MISSING = {**_REPORT, "version": None, "rag": None, "on_time": None}


class ReportSubmitted(Event):
    """A written progress report (书面反馈报告) was filed (a correction is a new version)."""

    TYPE: ClassVar[str] = "expo.reporting.report.submitted"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "kongtong-zhang",
        "occurred_at": "2020-08-02T08:12:00Z",
        "data": {**_REPORT, "version": 1, "rag": "amber", "on_time": True},
    }
    data: ReportData


class ReportOverdue(Event):
    """A report was not filed by its due time (said once per reporter and period)."""

    TYPE: ClassVar[str] = "expo.reporting.report.overdue"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "system:scheduler",
        "occurred_at": "2020-08-02T10:00:00Z",
        "data": _MISSING,
    }
    data: ReportData


class EscalationData(ReportData):
    """The missing report, and who is told about it now."""

    level: int = Field(description="2 group leader, 3 coordination group, 4 leading group")
    escalated_to: str = Field(
        description="Who is told now, by role, never by name: `leader of <reporter>` (level "
        "2, e.g. leader of group:exhibition), `group:<code>` (3, the coordination group), "
        "`leading group` (4). Events published before names were kept off the bus may add "
        "the group leader in brackets"
    )


class ReportEscalated(Event):
    """A report still missing went one level up, after the edition's grace period for that
    level; each level is said once."""

    TYPE: ClassVar[str] = "expo.reporting.report.escalated"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "system:scheduler",
        "occurred_at": "2020-08-04T10:00:00Z",
        "data": {**_MISSING, "level": 3, "escalated_to": "group:coordination"},
    }
    data: EscalationData


class BriefingData(EventData):
    """The headline figures of the day's briefing."""

    day: date = Field(description="The local day the briefing is for")
    days_to_launch: int = Field(description="Days left until the launch ceremony")
    late_tasks: int = Field(description="Tasks past their deadline and not done")
    missing_reports: int = Field(description="Reports due and not filed")
    problems_raised: int = Field(description="Problems needing coordination raised in reports")
    issued_at: datetime = Field(description="When it was issued, in UTC")


class BriefingIssued(Event):
    """The daily dispatch briefing (日调度简报) for a day was issued; the full text is at
    reporting's `/api/v1/briefings/{day}`. A day's briefing may be issued again after late
    news: the latest one for a day replaces the earlier."""

    TYPE: ClassVar[str] = "expo.reporting.briefing.issued"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "system:scheduler",
        "occurred_at": "2020-08-20T23:30:00Z",
        "data": {
            "day": "2020-08-21",
            "days_to_launch": 7,
            "late_tasks": 2,
            "missing_reports": 1,
            "problems_raised": 3,
            "issued_at": "2020-08-20T23:30:00Z",
        },
    }
    data: BriefingData


class ResponsibleErasedData(EventData):
    """Whose name was erased, by id, and the tasks that named them."""

    responsible_id: uuid.UUID = Field(description="The person's opaque id, as the task events say")
    group: str = Field(description="Code of the working group that named them")
    task_ids: list[uuid.UUID] = Field(
        description="The tasks naming them: a reader of the retired task events (`data.task_id`) "
        "finds there the name to erase"
    )


class ResponsibleErased(Event):
    """A person named responsible for tasks asked to be forgotten, and reporting erased their
    name; their id stays on the tasks. The `_v2` task events never carried the name, but the
    retired ones did (`expo.reporting.task.created`, `.updated`, `.overdue`, with
    `data.responsible`): if you kept names from those, erase the one of these tasks."""

    TYPE: ClassVar[str] = "expo.reporting.responsible.erased"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "exhibition-leader",
        "occurred_at": "2020-09-14T02:00:00Z",
        "data": {
            "responsible_id": "5f0c2a7e-8d41-4b6a-9c3e-2a7d1e9b4c08",
            "group": "exhibition",
            "task_ids": ["e1b7d3f9-6a2c-4b8e-9d4f-1c5a7e3b9d62"],
        },
    }
    data: ResponsibleErasedData


# Retired types -------------------------------------------------------------------------------
# Never published again. Declared (and documented) still, because the stream keeps the events
# published under them and anyone reading it from the start meets them.


class TaskData(EventData):
    """The task as it stood after the change, with its responsible person's name (retired:
    see TaskDataV2)."""

    task_id: uuid.UUID = Field(description="The task's id")
    group: str = Field(description="Code of the working group that owns it, e.g. exhibition")
    title: str = Field(description="What is to be done")
    responsible: str = Field(description="The person responsible (责任到人), as named by the group")
    deadline: datetime = Field(description="The time node (时间节点), in UTC")
    status: str = Field(description="not_started | in_progress | done | blocked")
    progress: int = Field(description="Per cent done, 0 to 100")
    blocked_reason: str | None = Field(default=None, description="Why it is blocked")


def _task(status: str, progress: int, blocked_reason: str | None = None) -> dict[str, Any]:
    return {
        "task_id": "e1b7d3f9-6a2c-4b8e-9d4f-1c5a7e3b9d62",
        "group": "exhibition",
        "title": "完成各县区展厅安全检查",
        "responsible": "展览展示组 刘工",
        "deadline": "2020-08-25T10:00:00Z",
        "status": status,
        "progress": progress,
        "blocked_reason": blocked_reason,
    }


class TaskCreated(Event):
    """**Retired**: no longer published; `expo.reporting.task.created_v2` replaced it, which
    names the person responsible by an opaque id instead of by name. The stream keeps the
    events published under this type before. It said: a working group created a task with a
    responsible person and a deadline."""

    TYPE: ClassVar[str] = "expo.reporting.task.created"
    REPLACED_BY: ClassVar[str | None] = TaskCreatedV2.TYPE
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "exhibition-leader",
        "data": _task("not_started", 0),
    }
    data: TaskData


class TaskUpdated(Event):
    """**Retired**: no longer published; `expo.reporting.task.updated_v2` replaced it, which
    names the person responsible by an opaque id instead of by name. The stream keeps the
    events published under this type before. It said: the owning group recorded progress on a
    task (when blocked, `data.blocked_reason` says why)."""

    TYPE: ClassVar[str] = "expo.reporting.task.updated"
    REPLACED_BY: ClassVar[str | None] = TaskUpdatedV2.TYPE
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "exhibition-leader",
        "data": _task("blocked", 40, blocked_reason="消防部门检查排期未定"),
    }
    data: TaskData


class TaskOverdue(Event):
    """**Retired**: no longer published; `expo.reporting.task.overdue_v2` replaced it, which
    names the person responsible by an opaque id instead of by name. The stream keeps the
    events published under this type before. It said: a task passed its deadline without
    being done."""

    TYPE: ClassVar[str] = "expo.reporting.task.overdue"
    REPLACED_BY: ClassVar[str | None] = TaskOverdueV2.TYPE
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "system:scheduler",
        "occurred_at": "2020-08-25T10:00:00Z",
        "data": _task("in_progress", 80),
    }
    data: TaskData


# Everything reporting has published, in the order its documents list them: the types it
# publishes now, then the retired ones.
REPORTING_EVENTS: tuple[type[Event], ...] = (
    TaskCreatedV2,
    TaskUpdatedV2,
    TaskOverdueV2,
    ReportSubmitted,
    ReportOverdue,
    ReportEscalated,
    BriefingIssued,
    ResponsibleErased,
    TaskCreated,
    TaskUpdated,
    TaskOverdue,
)
