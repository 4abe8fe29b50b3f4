"""Event contracts: one pydantic model per event type, declared once and shared by all services."""

from shared.events.base import Event, event_class, event_types, stream_for_subject
from shared.events.exhibitions import EXHIBITIONS_EVENTS
from shared.events.publicity import PUBLICITY_EVENTS
from shared.events.registration import (
    ACHIEVEMENT_EVENTS,
    REGISTRATION_EVENTS,
    AchievementApproved,
    AchievementData,
    AchievementDrafted,
    AchievementRejected,
    AchievementRevised,
    AchievementSubmitted,
    AchievementUpdated,
    AchievementWithdrawn,
    DisplayNeeds,
    UnitRegistered,
    UnitRegisteredData,
    UnitUpdated,
    UnitUpdatedData,
)
from shared.events.reporting import REPORTING_EVENTS
from shared.events.signings import SIGNINGS_EVENTS

__all__ = [
    "ACHIEVEMENT_EVENTS",
    "EXHIBITIONS_EVENTS",
    "PUBLICITY_EVENTS",
    "REGISTRATION_EVENTS",
    "REPORTING_EVENTS",
    "SIGNINGS_EVENTS",
    "AchievementApproved",
    "AchievementData",
    "AchievementDrafted",
    "AchievementRejected",
    "AchievementRevised",
    "AchievementSubmitted",
    "AchievementUpdated",
    "AchievementWithdrawn",
    "DisplayNeeds",
    "Event",
    "UnitRegistered",
    "UnitRegisteredData",
    "UnitUpdated",
    "UnitUpdatedData",
    "event_class",
    "event_types",
    "stream_for_subject",
]
