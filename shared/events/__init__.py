"""Event contracts: one pydantic model per event type, declared once and shared by all services."""

from shared.events.base import Event, event_class, event_types, stream_for_subject
from shared.events.registration import UnitRegistered, UnitRegisteredData

__all__ = [
    "Event",
    "UnitRegistered",
    "UnitRegisteredData",
    "event_class",
    "event_types",
    "stream_for_subject",
]
