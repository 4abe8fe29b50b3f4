"""Events published by the exhibitions service (展览展示): halls, booths, release sessions."""

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from shared.events.base import Event, EventData

HALL_STAGES = "planned | designed | built | exhibits_in_place | safety_inspected | ready"


class HallData(EventData):
    """The hall as it stands after the change."""

    hall_id: uuid.UUID = Field(description="The hall's id")
    code: str = Field(description="Short code, unique in the edition, e.g. kongtong-hall")
    name: str = Field(description="Name of the hall (成果展厅)")
    kind: str = Field(description="county | themed")
    county: str | None = Field(description="The county running it (county halls), else null")
    stage: str = Field(description=HALL_STAGES)


_HALL = {
    "hall_id": "2d9b7c4e-1f3a-4e6b-8c0d-5a7e9f1b3c24",
    "code": "kongtong-hall",
    "name": "崆峒区成果展厅",
    "kind": "county",
    "county": "kongtong",
}


class HallCreated(Event):
    """An exhibition hall (成果展厅) was planned."""

    TYPE: ClassVar[str] = "expo.exhibitions.hall.created"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "kongtong-zhang",
        "data": {**_HALL, "stage": "planned"},
    }
    data: HallData


class HallStageChangedData(HallData):
    """The hall after the step, and the stage it left."""

    from_stage: str = Field(description="The stage it left")


class HallStageChanged(Event):
    """A hall moved one step towards ready (planned → designed → built → exhibits_in_place →
    safety_inspected → ready). Safety_inspected is reached only by a passing inspection,
    which also sends `expo.exhibitions.hall.inspected`."""

    TYPE: ClassVar[str] = "expo.exhibitions.hall.stage_changed"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "kongtong-zhang",
        "data": {**_HALL, "stage": "built", "from_stage": "designed"},
    }
    data: HallStageChangedData


class HallInspectedData(HallData):
    """The hall after the inspection, and its outcome."""

    passed: bool = Field(description="Whether the hall passed")
    problems: tuple[str, ...] = Field(default=(), description="What failed (empty when passed)")


class HallInspected(Event):
    """A safety inspection (安全检查) was recorded; a failed one holds the hall back and lists
    its problems."""

    TYPE: ClassVar[str] = "expo.exhibitions.hall.inspected"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "exhibition-leader",
        "data": {
            **_HALL,
            "stage": "exhibits_in_place",
            "passed": False,
            "problems": ["消防通道被展板占用", "配电箱未接地"],
        },
    }
    data: HallInspectedData


class BoothData(EventData):
    """A booth and the hall it is in."""

    booth_id: uuid.UUID = Field(description="The booth's id")
    hall_id: uuid.UUID = Field(description="The hall it is in")
    code: str = Field(description="Code of the booth within its hall, e.g. A1")
    county: str | None = Field(description="The hall's county (county halls), else null")
    area_m2: float = Field(description="Floor area, in square metres")
    power_kw: float = Field(description="Electric power available, in kW")


_BOOTH = {
    "booth_id": "7c1e5a9d-3b2f-4d8a-9e6c-0f4b2a8d1e57",
    "hall_id": _HALL["hall_id"],
    "code": "A1",
    "county": "kongtong",
    "area_m2": 18.0,
    "power_kw": 5.0,
}
_ASSIGNMENT = {
    **_BOOTH,
    "achievement_id": "5a3e1c52-7b0f-4f4e-8d21-9c6b0e4f7a33",
    "achievement_county": "kongtong",
    "title": "旱作农业全膜双垄沟播技术",
    "override": False,
    "note": None,
}


class BoothCreated(Event):
    """A booth (展位) was added to a hall."""

    TYPE: ClassVar[str] = "expo.exhibitions.booth.created"
    EXAMPLE: ClassVar[dict[str, Any]] = {"actor": "kongtong-zhang", "data": _BOOTH}
    data: BoothData


class BoothAssignmentData(BoothData):
    """The booth and the achievement placed in it."""

    achievement_id: uuid.UUID = Field(description="The approved achievement placed there")
    achievement_county: str = Field(description="The achievement's county")
    title: str = Field(description="The achievement's title")
    override: bool = Field(default=False, description="The committee overrode the county rule")
    note: str | None = Field(default=None, description="Why the committee overrode it")


class BoothAssigned(Event):
    """An approved achievement was given a booth."""

    TYPE: ClassVar[str] = "expo.exhibitions.booth.assigned"
    EXAMPLE: ClassVar[dict[str, Any]] = {"actor": "kongtong-zhang", "data": _ASSIGNMENT}
    data: BoothAssignmentData


class BoothReleasedData(BoothAssignmentData):
    """The booth, the achievement that left it, and why."""

    reason: str = Field(
        description="achievement_withdrawn | achievement_rejected | released_by_hand: <why>"
    )


class BoothReleased(Event):
    """A booth became free again, and why: its achievement was withdrawn or rejected in
    registration (freed automatically), or someone released it by hand. `data` names the
    achievement that left."""

    TYPE: ClassVar[str] = "expo.exhibitions.booth.released"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "kongtong-zhang",
        "data": {**_ASSIGNMENT, "reason": "achievement_withdrawn"},
    }
    data: BoothReleasedData


class ReleaseData(EventData):
    """The release session as it stands after the change."""

    release_id: uuid.UUID = Field(description="The session's id")
    title: str = Field(description="Title of the session")
    venue: str = Field(description="Where it takes place; sessions of one venue never overlap")
    starts_at: datetime = Field(description="Start, in UTC")
    ends_at: datetime = Field(description="End, in UTC")
    county: str = Field(description="County of the presenting unit")
    presenting_unit_id: uuid.UUID = Field(description="The registered unit presenting")
    achievement_ids: tuple[uuid.UUID, ...] = Field(description="The achievements released")
    status: str = Field(description="scheduled | held | cancelled")
    reason: str | None = Field(default=None, description="Why it was cancelled")


def _release(status: str, reason: str | None = None) -> dict[str, Any]:
    return {
        "release_id": "9e2f4b6a-8c1d-4a3e-b5f7-2d6c8a0e4b91",
        "title": "旱作农业新技术发布会",
        "venue": "主会场发布厅",
        "starts_at": "2020-08-28T02:00:00Z",
        "ends_at": "2020-08-28T02:45:00Z",
        "county": "kongtong",
        "presenting_unit_id": "0b6f9c1e-2d4a-4c8e-9a51-3f7d2e8b6a10",
        "achievement_ids": ["5a3e1c52-7b0f-4f4e-8d21-9c6b0e4f7a33"],
        "status": status,
        "reason": reason,
    }


class ReleaseScheduled(Event):
    """An achievement release session (成果发布) was scheduled."""

    TYPE: ClassVar[str] = "expo.exhibitions.release.scheduled"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "exhibition-leader",
        "data": _release("scheduled"),
    }
    data: ReleaseData


class ReleaseHeld(Event):
    """A release session took place."""

    TYPE: ClassVar[str] = "expo.exhibitions.release.held"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "exhibition-leader",
        "occurred_at": "2020-08-28T02:50:00Z",
        "data": _release("held"),
    }
    data: ReleaseData


class ReleaseCancelled(Event):
    """A release session was cancelled (`data.reason` says why)."""

    TYPE: ClassVar[str] = "expo.exhibitions.release.cancelled"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "exhibition-leader",
        "data": _release("cancelled", reason="发布单位申请改期"),
    }
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
