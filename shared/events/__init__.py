"""Event contracts: one pydantic model per event type, declared once and shared by all services."""

from shared.events.base import Event, EventData, event_class, event_types, stream_for_subject
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

# What each service publishes, in the order its documents list them.
EVENTS_BY_SERVICE: dict[str, tuple[type[Event], ...]] = {
    "registration": REGISTRATION_EVENTS,
    "exhibitions": EXHIBITIONS_EVENTS,
    "signings": SIGNINGS_EVENTS,
    "publicity": PUBLICITY_EVENTS,
    "reporting": REPORTING_EVENTS,
}

__all__ = [
    "ACHIEVEMENT_EVENTS",
    "EVENTS_BY_SERVICE",
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
    "EventData",
    "UnitRegistered",
    "UnitRegisteredData",
    "UnitUpdated",
    "UnitUpdatedData",
    "event_class",
    "event_types",
    "stream_for_subject",
]
