"""Events published by the signings service (项目签约). Each carries county, kind and amount,
so totals can be kept without calling back."""

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import Event


class ProjectData(BaseModel):
    model_config = ConfigDict(frozen=True)
    project_id: uuid.UUID
    version: int
    title: str
    county: str
    kind: str = Field(description="technology_transfer | cooperation | investment | platform")
    partner_name: str
    partner_kind: str
    sector: str
    amount_cny: int = Field(gt=0, description="Whole yuan")
    achievement_id: uuid.UUID | None
    stage: str


class ProjectProposed(Event):
    """A signing project (签约项目) entered the pipeline."""

    TYPE: ClassVar[str] = "expo.signings.project.proposed"
    data: ProjectData


class StageChangedData(ProjectData):
    from_stage: str
    reason: str | None = None


class ProjectStageChanged(Event):
    """A project moved between proposed, negotiating and agreed (back to negotiating: with a reason)."""

    TYPE: ClassVar[str] = "expo.signings.project.stage_changed"
    data: StageChangedData


class ScheduledData(ProjectData):
    from_stage: str
    slot_id: uuid.UUID
    slot_title: str
    slot_starts_at: datetime


class ProjectScheduled(Event):
    """An agreed project was put in a ceremony slot (or moved to another one)."""

    TYPE: ClassVar[str] = "expo.signings.project.scheduled"
    data: ScheduledData


class ProjectSigned(Event):
    """The project was signed at the ceremony (its slot was held)."""

    TYPE: ClassVar[str] = "expo.signings.project.signed"
    data: ScheduledData


class CancelledData(ProjectData):
    from_stage: str
    reason: str


class ProjectCancelled(Event):
    """A project left the pipeline; `data.reason` says why."""

    TYPE: ClassVar[str] = "expo.signings.project.cancelled"
    data: CancelledData


class SlotData(BaseModel):
    model_config = ConfigDict(frozen=True)
    slot_id: uuid.UUID
    position: int
    title: str
    starts_at: datetime
    status: str
    project_ids: tuple[uuid.UUID, ...]


class RunningOrderChangedData(BaseModel):
    model_config = ConfigDict(frozen=True)
    slots: tuple[SlotData, ...]


class RunningOrderChanged(Event):
    """The ceremony running order (签约仪式议程) changed: the whole order, as it now stands."""

    TYPE: ClassVar[str] = "expo.signings.running_order.changed"
    data: RunningOrderChangedData


SIGNINGS_EVENTS: tuple[type[Event], ...] = (
    ProjectProposed,
    ProjectStageChanged,
    ProjectScheduled,
    ProjectSigned,
    ProjectCancelled,
    RunningOrderChanged,
)
