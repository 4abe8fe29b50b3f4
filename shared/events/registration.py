"""Events published by the registration service (报名登记).

Unit events never carry contact people or phone numbers. Achievement events carry what
exhibitions needs to place an achievement (county, unit, display needs) and what reporting
needs to count it (county, status), so neither has to call back.
"""

import uuid
from typing import Any, ClassVar

from pydantic import Field

from shared.events.base import Event, EventData

_UNIT = {
    "unit_id": "0b6f9c1e-2d4a-4c8e-9a51-3f7d2e8b6a10",
    "county": "kongtong",
    "name": "平凉市农业科学院",
    "kind": "research_institute",
}


class UnitRegisteredData(EventData):
    """The unit as registered (its contact people and phone numbers are never sent)."""

    unit_id: uuid.UUID = Field(description="The unit's id")
    county: str = Field(description="Code of the county it belongs to, e.g. kongtong")
    name: str = Field(description="Name of the unit (参展单位)")
    kind: str = Field(
        description="county_bureau | city_department | college | research_institute | "
        "enterprise | other"
    )


class UnitRegistered(Event):
    """A participating unit (参展单位) was registered. Contact details are never included."""

    TYPE: ClassVar[str] = "expo.registration.unit.registered"
    EXAMPLE: ClassVar[dict[str, Any]] = {"actor": "kongtong-zhang", "data": _UNIT}
    data: UnitRegisteredData


class UnitUpdatedData(UnitRegisteredData):
    """The unit as it now stands, and which fields changed."""

    changed: tuple[str, ...] = Field(
        description="Names of the fields that changed (contact_person and contact_phone are "
        "named, their values are never sent)"
    )


class UnitUpdated(Event):
    """A unit's name, kind or contact changed. `data` is the unit as it now stands; the
    contact's values are never included."""

    TYPE: ClassVar[str] = "expo.registration.unit.updated"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "kongtong-zhang",
        "data": {**_UNIT, "name": "平凉市农业科学院(平凉市农业技术推广中心)", "changed": ["name"]},
    }
    data: UnitUpdatedData


class DisplayNeeds(EventData):
    """What the achievement needs at the exhibition, to find it a booth."""

    floor_area_m2: float = Field(ge=0, description="Floor area it needs, in square metres")
    power_kw: float = Field(ge=0, description="Electric power it needs, in kW")
    live_demo: bool = Field(description="Whether it is demonstrated live")


class AchievementData(EventData):
    """The achievement as it stands after the change."""

    achievement_id: uuid.UUID = Field(description="The achievement's id")
    version: int = Field(description="Grows by one with every change; ignore older versions")
    unit_id: uuid.UUID = Field(description="The unit presenting it")
    unit_name: str = Field(description="That unit's name")
    county: str = Field(description="Code of the unit's county")
    title: str = Field(description="Title of the achievement (科技成果)")
    field: str = Field(
        description="agriculture | manufacturing | materials | information | biomedicine | "
        "energy_environment | culture_tourism | other"
    )
    maturity: str = Field(description="research | prototype | pilot | industrialised")
    status: str = Field(description="draft | submitted | approved | rejected | withdrawn")
    display: DisplayNeeds
    reason: str | None = Field(default=None, description="Why it was rejected or withdrawn")


def _achievement(status: str, version: int, reason: str | None = None) -> dict[str, Any]:
    """The same achievement at successive points of its review, for the examples."""
    return {
        "achievement_id": "5a3e1c52-7b0f-4f4e-8d21-9c6b0e4f7a33",
        "version": version,
        "unit_id": _UNIT["unit_id"],
        "unit_name": _UNIT["name"],
        "county": "kongtong",
        "title": "旱作农业全膜双垄沟播技术",
        "field": "agriculture",
        "maturity": "industrialised",
        "status": status,
        "display": {"floor_area_m2": 12.0, "power_kw": 1.5, "live_demo": True},
        "reason": reason,
    }


class AchievementDrafted(Event):
    """A county registered a new achievement (科技成果) as a draft."""

    TYPE: ClassVar[str] = "expo.registration.achievement.drafted"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "kongtong-zhang",
        "data": _achievement("draft", 1),
    }
    data: AchievementData


class AchievementUpdated(Event):
    """A draft or rejected achievement was corrected (its status did not change)."""

    TYPE: ClassVar[str] = "expo.registration.achievement.updated"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "kongtong-zhang",
        "data": _achievement("draft", 2),
    }
    data: AchievementData


class AchievementSubmitted(Event):
    """An achievement was submitted for review."""

    TYPE: ClassVar[str] = "expo.registration.achievement.submitted"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "kongtong-zhang",
        "data": _achievement("submitted", 3),
    }
    data: AchievementData


class AchievementApproved(Event):
    """Reviewers approved an achievement: it may be exhibited."""

    TYPE: ClassVar[str] = "expo.registration.achievement.approved"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "registration-leader",
        "data": _achievement("approved", 4),
    }
    data: AchievementData


class AchievementRejected(Event):
    """Reviewers rejected an achievement (also when it had been approved: the approval is
    revoked). `data.reason` says why."""

    TYPE: ClassVar[str] = "expo.registration.achievement.rejected"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "registration-leader",
        "data": _achievement("rejected", 4, reason="缺少成果鉴定证明材料"),
    }
    data: AchievementData


class AchievementWithdrawn(Event):
    """Its county withdrew an achievement; it will not be exhibited. `data.reason` says why
    when the county gave one."""

    TYPE: ClassVar[str] = "expo.registration.achievement.withdrawn"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "kongtong-zhang",
        "data": _achievement("withdrawn", 5, reason="样机送检,无法按期布展"),
    }
    data: AchievementData


class AchievementRevised(Event):
    """An approved achievement was changed and is back under review (status submitted):
    it is no longer approved until reviewed again."""

    TYPE: ClassVar[str] = "expo.registration.achievement.revised"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "kongtong-zhang",
        "data": _achievement("submitted", 5),
    }
    data: AchievementData


ACHIEVEMENT_EVENTS: tuple[type[Event], ...] = (
    AchievementDrafted,
    AchievementUpdated,
    AchievementSubmitted,
    AchievementApproved,
    AchievementRejected,
    AchievementWithdrawn,
    AchievementRevised,
)
REGISTRATION_EVENTS: tuple[type[Event], ...] = (UnitRegistered, UnitUpdated, *ACHIEVEMENT_EVENTS)
