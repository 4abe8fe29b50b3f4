"""Events published by the reporting service (调度与报告): tasks, written reports, briefings."""

import uuid
from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import Event


class TaskData(BaseModel):
    model_config = ConfigDict(frozen=True)
    task_id: uuid.UUID
    group: str
    title: str
    responsible: str = Field(description="The person responsible (责任到人), as named by the group")
    deadline: datetime
    status: str
    progress: int
    blocked_reason: str | None = None


class TaskCreated(Event):
    TYPE: ClassVar[str] = "expo.reporting.task.created"
    data: TaskData


class TaskUpdated(Event):
    TYPE: ClassVar[str] = "expo.reporting.task.updated"
    data: TaskData


class TaskOverdue(Event):
    """A task passed its deadline (时间节点) without being done; said once."""

    TYPE: ClassVar[str] = "expo.reporting.task.overdue"
    data: TaskData


class ReportData(BaseModel):
    model_config = ConfigDict(frozen=True)
    reporter: str = Field(description="county:<code> or group:<code>")
    period: str
    due_at: datetime
    version: int | None = None
    rag: str | None = None
    on_time: bool | None = None


class ReportSubmitted(Event):
    """A written progress report (书面反馈报告) was filed (a correction is a new version)."""

    TYPE: ClassVar[str] = "expo.reporting.report.submitted"
    data: ReportData


class ReportOverdue(Event):
    """A report was not filed by its due time."""

    TYPE: ClassVar[str] = "expo.reporting.report.overdue"
    data: ReportData


class EscalationData(ReportData):
    level: int = Field(description="2 group leader, 3 coordination group, 4 leading group")
    escalated_to: str


class ReportEscalated(Event):
    """A missing report went one level up, after its grace period."""

    TYPE: ClassVar[str] = "expo.reporting.report.escalated"
    data: EscalationData


class BriefingData(BaseModel):
    model_config = ConfigDict(frozen=True)
    day: date
    days_to_launch: int
    late_tasks: int
    missing_reports: int
    problems_raised: int
    issued_at: datetime


class BriefingIssued(Event):
    """The daily dispatch briefing (日调度简报) for a day was issued."""

    TYPE: ClassVar[str] = "expo.reporting.briefing.issued"
    data: BriefingData


REPORTING_EVENTS: tuple[type[Event], ...] = (
    TaskCreated,
    TaskUpdated,
    TaskOverdue,
    ReportSubmitted,
    ReportOverdue,
    ReportEscalated,
    BriefingIssued,
)
