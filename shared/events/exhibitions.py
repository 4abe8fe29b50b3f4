"""Events published by the exhibitions service (展览展示): halls, booths, release sessions."""

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import Event


class HallData(BaseModel):
    model_config = ConfigDict(frozen=True)
    hall_id: uuid.UUID
    code: str
    name: str
    kind: str = Field(description="county | themed")
    county: str | None = Field(description="The county running it (county halls)")
    stage: str


class HallCreated(Event):
    """An exhibition hall (成果展厅) was planned."""

    TYPE: ClassVar[str] = "expo.exhibitions.hall.created"
    data: HallData


class HallStageChangedData(HallData):
    from_stage: str


class HallStageChanged(Event):
    """A hall moved one step towards ready (planned → designed → built → exhibits_in_place →
    safety_inspected → ready)."""

    TYPE: ClassVar[str] = "expo.exhibitions.hall.stage_changed"
    data: HallStageChangedData


class HallInspectedData(HallData):
    passed: bool
    problems: tuple[str, ...] = ()


class HallInspected(Event):
    """A safety inspection (安全检查) was recorded; a failed one holds the hall back."""

    TYPE: ClassVar[str] = "expo.exhibitions.hall.inspected"
    data: HallInspectedData


class BoothData(BaseModel):
    model_config = ConfigDict(frozen=True)
    booth_id: uuid.UUID
    hall_id: uuid.UUID
    code: str
    county: str | None = Field(description="The hall's county (county halls)")
    area_m2: float
    power_kw: float


class BoothCreated(Event):
    """A booth (展位) was added to a hall."""

    TYPE: ClassVar[str] = "expo.exhibitions.booth.created"
    data: BoothData


class BoothAssignmentData(BoothData):
    achievement_id: uuid.UUID
    achievement_county: str
    title: str
    override: bool = Field(default=False, description="The committee overrode the county rule")
    note: str | None = Field(default=None, description="Why the committee overrode it")


class BoothAssigned(Event):
    """An approved achievement was given a booth."""

    TYPE: ClassVar[str] = "expo.exhibitions.booth.assigned"
    data: BoothAssignmentData


class BoothReleasedData(BoothAssignmentData):
    reason: str = Field(
        description="achievement_withdrawn | achievement_rejected | released_by_hand: <why>"
    )


class BoothReleased(Event):
    """A booth became free again, and why."""

    TYPE: ClassVar[str] = "expo.exhibitions.booth.released"
    data: BoothReleasedData


class ReleaseData(BaseModel):
    model_config = ConfigDict(frozen=True)
    release_id: uuid.UUID
    title: str
    venue: str
    starts_at: datetime
    ends_at: datetime
    county: str
    presenting_unit_id: uuid.UUID
    achievement_ids: tuple[uuid.UUID, ...]
    status: str
    reason: str | None = None


class ReleaseScheduled(Event):
    """An achievement release session (成果发布) was scheduled."""

    TYPE: ClassVar[str] = "expo.exhibitions.release.scheduled"
    data: ReleaseData


class ReleaseHeld(Event):
    """A release session took place."""

    TYPE: ClassVar[str] = "expo.exhibitions.release.held"
    data: ReleaseData


class ReleaseCancelled(Event):
    """A release session was cancelled (`data.reason` says why)."""

    TYPE: ClassVar[str] = "expo.exhibitions.release.cancelled"
    data: ReleaseData


EXHIBITIONS_EVENTS: tuple[type[Event], ...] = (
    HallCreated,
    HallStageChanged,
    HallInspected,
    BoothCreated,
    BoothAssigned,
    BoothReleased,
    ReleaseScheduled,
    ReleaseHeld,
    ReleaseCancelled,
)
