"""Events published by the signings service (项目签约). Each carries county, kind and amount,
so totals can be kept without calling back."""

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from shared.events.base import Event, EventData

PROJECT_STAGES = "proposed | negotiating | agreed | scheduled | signed | cancelled"


class ProjectData(EventData):
    """The project as it stands after the change."""

    project_id: uuid.UUID = Field(description="The project's id")
    version: int = Field(description="Grows by one with every change; ignore older versions")
    title: str = Field(description="Title of the signing project (签约项目)")
    county: str = Field(description="Code of the county it is signed for")
    kind: str = Field(description="technology_transfer | cooperation | investment | platform")
    partner_name: str = Field(description="The partner signing with the county")
    partner_kind: str = Field(description="enterprise | college | research_institute | other")
    sector: str = Field(description="Sector, as entered, e.g. 现代农业")
    amount_cny: int = Field(gt=0, description="Whole yuan")
    achievement_id: uuid.UUID | None = Field(
        description="The registered achievement it turns into business, if any"
    )
    stage: str = Field(description=PROJECT_STAGES)


def _project(stage: str, version: int) -> dict[str, Any]:
    """One project at successive points of the pipeline, for the examples."""
    return {
        "project_id": "a8c2e6f0-9d4b-4f1a-b3e7-5c9a1d7f3b28",
        "version": version,
        "title": "旱作农业全膜双垄沟播技术成果转化",
        "county": "kongtong",
        "kind": "technology_transfer",
        "partner_name": "甘肃陇原农业科技有限公司",
        "partner_kind": "enterprise",
        "sector": "现代农业",
        "amount_cny": 35_000_000,
        "achievement_id": "5a3e1c52-7b0f-4f4e-8d21-9c6b0e4f7a33",
        "stage": stage,
    }


_SLOT = {
    "slot_id": "f6a0c4e8-2b7d-4e3f-9a1c-8d5b3f7e0a64",
    "slot_title": "第一批签约:成果转化",
    "slot_starts_at": "2020-08-28T03:00:00Z",
}


class ProjectProposed(Event):
    """A signing project (签约项目) entered the pipeline."""

    TYPE: ClassVar[str] = "expo.signings.project.proposed"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "kongtong-zhang",
        "data": _project("proposed", 1),
    }
    data: ProjectData


class StageChangedData(ProjectData):
    """The project after the move, the stage it left and why."""

    from_stage: str = Field(description="The stage it left")
    reason: str | None = Field(default=None, description="Why (required to go back)")


class ProjectStageChanged(Event):
    """A project moved between proposed, negotiating and agreed (back to negotiating: with a reason)."""

    TYPE: ClassVar[str] = "expo.signings.project.stage_changed"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "signing-leader",
        "data": {
            **_project("negotiating", 4),
            "from_stage": "agreed",
            "reason": "投资额需重新核定",
        },
    }
    data: StageChangedData


class ScheduledData(ProjectData):
    """The project and the ceremony slot it is in."""

    from_stage: str = Field(description="The stage it left (scheduled when it changed slot)")
    slot_id: uuid.UUID = Field(description="The ceremony slot it is in")
    slot_title: str = Field(description="That slot's title")
    slot_starts_at: datetime = Field(description="When that slot starts, in UTC")


class ProjectScheduled(Event):
    """An agreed project was put in a ceremony slot (or moved to another one)."""

    TYPE: ClassVar[str] = "expo.signings.project.scheduled"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "signing-leader",
        "data": {**_project("scheduled", 4), "from_stage": "agreed", **_SLOT},
    }
    data: ScheduledData


class ProjectSigned(Event):
    """The project was signed at the ceremony (its slot was held)."""

    TYPE: ClassVar[str] = "expo.signings.project.signed"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "signing-leader",
        "occurred_at": "2020-08-28T03:20:00Z",
        "data": {**_project("signed", 5), "from_stage": "scheduled", **_SLOT},
    }
    data: ScheduledData


class CancelledData(ProjectData):
    """The project as it left the pipeline, and why."""

    from_stage: str = Field(description="The stage it left")
    reason: str = Field(description="Why it was cancelled")


class ProjectCancelled(Event):
    """A project left the pipeline; `data.reason` says why."""

    TYPE: ClassVar[str] = "expo.signings.project.cancelled"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "signing-leader",
        "data": {**_project("cancelled", 4), "from_stage": "negotiating", "reason": "合作方撤回"},
    }
    data: CancelledData


class SlotData(EventData):
    """One slot of the ceremony running order."""

    slot_id: uuid.UUID = Field(description="The slot's id")
    position: int = Field(description="Place in the running order, from 1")
    title: str = Field(description="Title of the slot")
    starts_at: datetime = Field(description="When it starts, in UTC")
    status: str = Field(description="planned | held")
    project_ids: tuple[uuid.UUID, ...] = Field(description="Projects in it, in signing order")


class RunningOrderChangedData(EventData):
    """The whole running order."""

    slots: tuple[SlotData, ...] = Field(description="Every slot, in running order")


class RunningOrderChanged(Event):
    """The ceremony running order (签约仪式议程) changed: the whole order, as it now stands,
    so a screen can simply redraw it."""

    TYPE: ClassVar[str] = "expo.signings.running_order.changed"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "signing-leader",
        "data": {
            "slots": [
                {
                    "slot_id": _SLOT["slot_id"],
                    "position": 1,
                    "title": _SLOT["slot_title"],
                    "starts_at": _SLOT["slot_starts_at"],
                    "status": "planned",
                    "project_ids": ["a8c2e6f0-9d4b-4f1a-b3e7-5c9a1d7f3b28"],
                },
                {
                    "slot_id": "0d4f8b2a-6e1c-4a9d-8f3b-2c7e5a9d1f80",
                    "position": 2,
                    "title": "第二批签约:招商引资",
                    "starts_at": "2020-08-28T03:30:00Z",
                    "status": "planned",
                    "project_ids": [],
                },
            ]
        },
    }
    data: RunningOrderChangedData


SIGNINGS_EVENTS: tuple[type[Event], ...] = (
    ProjectProposed,
    ProjectStageChanged,
    ProjectScheduled,
    ProjectSigned,
    ProjectCancelled,
    RunningOrderChanged,
)
