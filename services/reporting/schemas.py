"""What the reporting HTTP API accepts and answers. Every time it answers is UTC (`Z`); the
edition's local time appears only inside the briefing's text."""

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic.json_schema import SkipJsonSchema

from shared.schemas import (
    DayIn,
    Instant,
    InstantIn,
    Reason,
    Strict,
    Text100,
    Text200,
    WholeNumber,
    text,
)

LongText = text(5000)
QualityText = text(2000)
MaybeText = text(5000, min_length=0)  # may be left empty


class TaskStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"


class Rag(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


class Standing(StrEnum):
    """A reporter's report of a period: filed by its due time, after it, not yet, not due."""

    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    PENDING = "pending"


def _true_or_false(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("must be true or false")


QueryBool = Annotated[bool | None, BeforeValidator(_true_or_false)]
"""A yes/no query parameter: `true` or `false`, nothing else (not `1`, `yes` or `on`)."""


# Tasks ---------------------------------------------------------------------------------------


class TaskIn(Strict):
    group: str = Field(description="The working group that owns the task")
    title: Text200
    responsible: Text100 = Field(description="The person responsible (责任到人)")
    deadline: InstantIn = Field(description="The time node (时间节点)")
    quality_standard: QualityText


class TaskUpdateIn(Strict):
    # The schema's allOf is tasks.record_update's rules: the two must agree.
    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {
                        "properties": {"status": {"const": TaskStatus.DONE.value}},
                        "required": ["status"],
                    },
                    "then": {"properties": {"progress": {"const": 100}}},
                },
                {
                    "if": {
                        "properties": {"status": {"const": TaskStatus.BLOCKED.value}},
                        "required": ["status"],
                    },
                    "then": {
                        "required": ["blocked_reason"],
                        "properties": {"blocked_reason": {"type": "string"}},
                    },
                },
            ]
        }
    )

    status: TaskStatus
    progress: WholeNumber = Field(ge=0, le=100, description="Percent done, a whole number")
    note: LongText | None = None
    blocked_reason: Reason | None = Field(
        default=None, description="Why, for a blocked task (required with it)"
    )


class TaskOut(BaseModel):
    id: uuid.UUID
    group: str
    title: str
    responsible: str | None = Field(
        description="The person responsible (责任到人); null once their name was erased"
    )
    responsible_id: uuid.UUID = Field(
        description="The person's opaque id, the one the task events carry (`data.responsible_id`)"
        "; the same on every task of the group naming them"
    )
    deadline: Instant
    quality_standard: str
    status: TaskStatus
    progress: int
    blocked_reason: str | None
    overdue: bool
    overdue_at: Instant | None = Field(description="When the scheduler found it overdue")
    version: int
    updated_at: Instant
    updated_by: str


class ResponsibleOut(BaseModel):
    """A person tasks name as responsible."""

    id: uuid.UUID
    group: str = Field(description="The working group that named them")
    name: str | None = Field(description="Null once erased")
    erased_at: Instant | None = Field(description="When their name was erased")
    erased_by: str | None = Field(description="Who erased it (a principal id)")


class TaskUpdateOut(BaseModel):
    status: TaskStatus
    progress: int
    note: str | None
    actor: str
    at: Instant


# Written reports -----------------------------------------------------------------------------


class ReportIn(Strict):
    done: LongText = Field(description="What was done (完成情况)")
    next: LongText = Field(description="What comes next (下步安排)")
    problems: MaybeText = Field(
        default="", description="Problems needing coordination (协调解决问题); empty if none"
    )
    rag: Rag


class ReportOut(BaseModel):
    reporter: str
    period: str
    version: int
    done: str
    next: str
    problems: str
    rag: Rag
    submitted_at: Instant
    submitted_by: str
    on_time: bool = Field(description="Whether its first version was filed by the due time")


class MatrixCell(BaseModel):
    period: str
    due_at: Instant
    standing: Standing
    versions: int
    rag: Rag | None
    escalation_level: int


class MatrixRow(BaseModel):
    reporter: str
    cells: list[MatrixCell]


class PeriodOut(BaseModel):
    code: str = Field(description="W<first day> for a week, D<day> for a day")
    first: date = Field(description="Its first local day")
    last: date = Field(description="Its last local day")
    due_at: Instant = Field(description="When its reports are due")


class MissingReport(BaseModel):
    reporter: str
    period: str
    due_at: Instant
    level: int = Field(description="The escalation level said so far (0: none yet)")


class OverdueOut(BaseModel):
    now: Instant
    tasks: list[TaskOut] = Field(description="Tasks past their deadline and not done")
    reports: list[MissingReport] = Field(description="Reports not filed by their due time")


# Briefings and the clock ---------------------------------------------------------------------


class BriefingFormat(StrEnum):
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


class BriefingIn(Strict):
    day: DayIn = Field(description="The local day of the dispatch period the briefing is for")
    reissue: StrictBool = Field(
        default=False,
        description="Issue the day's briefing again with the figures of now (after late news); "
        "it replaces the earlier text and is announced again",
    )


class BriefingOut(BaseModel):
    day: date
    issued_at: Instant
    issued_by: str
    markdown: str = Field(description="The briefing's text (local times inside)")


class ClockIn(Strict):
    now: InstantIn


class Said(BaseModel):
    """What the scheduler said on one look at the time."""

    tasks_overdue: int
    report_alerts: int
    briefings: int


class ClockMoved(BaseModel):
    now: Instant
    said: Said


class ClockOut(BaseModel):
    now: Instant
    today: date = Field(description="The edition's local day at `now`")
    time_zone: str = Field(description="The edition's time zone")


# Status --------------------------------------------------------------------------------------


class HallFigures(BaseModel):
    stage: str | None
    inspection_failed: bool


class BoothFigures(BaseModel):
    total: int
    assigned: int


class SigningFigures(BaseModel):
    count: int
    amount_cny: int


class BulletinFigures(BaseModel):
    received: int
    adopted: int


class ReadinessOut(BaseModel):
    score: float
    rag: Rag
    parts: dict[str, float]


class CountyStatus(BaseModel):
    county: str
    name: str
    units: int
    achievements: dict[str, int] = Field(description="By status")
    hall: HallFigures
    booths: BoothFigures
    releases: dict[str, int] = Field(description="Release sessions by status")
    signings: dict[str, SigningFigures] = Field(description="By stage")
    publicity_published: int
    bulletins: BulletinFigures
    readiness: ReadinessOut


class OverallStatus(BaseModel):
    units: int
    achievements: dict[str, int]
    booths: BoothFigures
    signings: dict[str, SigningFigures]
    counties_by_rag: dict[str, int]


class ReadinessRule(BaseModel):
    weights: dict[str, float]
    green: float
    amber: float


class StatusOut(BaseModel):
    """A county's token gets `counties` with its own only; everyone else all three."""

    overall: OverallStatus | SkipJsonSchema[None] = None
    counties: dict[str, CountyStatus]
    rule: ReadinessRule | SkipJsonSchema[None] = None
