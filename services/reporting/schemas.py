"""What the reporting HTTP API accepts and answers (tasks and written reports)."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from shared.schemas import Strict, Text100, Text200

LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]


class TaskStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"


class Rag(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


class TaskIn(Strict):
    group: str = Field(max_length=32)
    title: Text200
    responsible: Text100 = Field(description="The person responsible (责任到人)")
    deadline: AwareDatetime = Field(description="The time node (时间节点)")
    quality_standard: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
    ]


class TaskUpdateIn(Strict):
    status: TaskStatus
    progress: int = Field(ge=0, le=100)
    note: LongText | None = None
    blocked_reason: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
        | None
    ) = None


class TaskOut(BaseModel):
    id: uuid.UUID
    group: str
    title: str
    responsible: str
    deadline: datetime
    quality_standard: str
    status: TaskStatus
    progress: int
    blocked_reason: str | None
    overdue: bool
    overdue_at: datetime | None
    version: int
    updated_at: datetime
    updated_by: str


class TaskUpdateOut(BaseModel):
    status: TaskStatus
    progress: int
    note: str | None
    actor: str
    at: datetime


class ReportIn(Strict):
    done: LongText = Field(description="What was done (完成情况)")
    next: LongText = Field(description="What comes next (下步安排)")
    problems: LongText = Field(
        default="", description="Problems needing coordination (协调解决问题)"
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
    submitted_at: datetime
    submitted_by: str
    on_time: bool


class MatrixCell(BaseModel):
    period: str
    due_at: datetime
    standing: str  # on_time | late | missing | pending
    versions: int
    rag: Rag | None
    escalation_level: int


class MatrixRow(BaseModel):
    reporter: str
    cells: list[MatrixCell]
