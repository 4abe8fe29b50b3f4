"""Events published by the registration service (报名登记).

Unit events never carry contact people or phone numbers. Achievement events carry what
exhibitions needs to place an achievement (county, unit, display needs) and what reporting
needs to count it (county, status), so neither has to call back.
"""

import uuid
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import Event


class UnitRegisteredData(BaseModel):
    model_config = ConfigDict(frozen=True)
    unit_id: uuid.UUID
    county: str
    name: str
    kind: str


class UnitRegistered(Event):
    """A participating unit (参展单位) was registered. Contact details are never included."""

    TYPE: ClassVar[str] = "expo.registration.unit.registered"
    data: UnitRegisteredData


class UnitUpdatedData(UnitRegisteredData):
    changed: tuple[str, ...] = Field(description="Names of the fields that changed")


class UnitUpdated(Event):
    """A unit's name, kind or contact changed (the contact's values are never included)."""

    TYPE: ClassVar[str] = "expo.registration.unit.updated"
    data: UnitUpdatedData


class DisplayNeeds(BaseModel):
    model_config = ConfigDict(frozen=True)
    floor_area_m2: float = Field(ge=0)
    power_kw: float = Field(ge=0)
    live_demo: bool


class AchievementData(BaseModel):
    """The achievement as it stands after the change."""

    model_config = ConfigDict(frozen=True)
    achievement_id: uuid.UUID
    version: int = Field(description="Grows by one with every change; ignore older versions")
    unit_id: uuid.UUID
    unit_name: str
    county: str
    title: str
    field: str
    maturity: str
    status: str
    display: DisplayNeeds
    reason: str | None = Field(default=None, description="Why it was rejected or withdrawn")


class AchievementDrafted(Event):
    """A county registered a new achievement (科技成果) as a draft."""

    TYPE: ClassVar[str] = "expo.registration.achievement.drafted"
    data: AchievementData


class AchievementUpdated(Event):
    """A draft or rejected achievement was corrected (its status did not change)."""

    TYPE: ClassVar[str] = "expo.registration.achievement.updated"
    data: AchievementData


class AchievementSubmitted(Event):
    """An achievement was submitted for review."""

    TYPE: ClassVar[str] = "expo.registration.achievement.submitted"
    data: AchievementData


class AchievementApproved(Event):
    """Reviewers approved an achievement: it may be exhibited."""

    TYPE: ClassVar[str] = "expo.registration.achievement.approved"
    data: AchievementData


class AchievementRejected(Event):
    """Reviewers rejected an achievement (also when it had been approved: the approval is
    revoked). `data.reason` says why."""

    TYPE: ClassVar[str] = "expo.registration.achievement.rejected"
    data: AchievementData


class AchievementWithdrawn(Event):
    """Its county withdrew an achievement; it will not be exhibited."""

    TYPE: ClassVar[str] = "expo.registration.achievement.withdrawn"
    data: AchievementData


class AchievementRevised(Event):
    """An approved achievement was changed and is back under review (status submitted):
    it is no longer approved until reviewed again."""

    TYPE: ClassVar[str] = "expo.registration.achievement.revised"
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
