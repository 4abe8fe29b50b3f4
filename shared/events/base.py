"""The envelope every event shares, its subject naming and its NATS headers.

Subject and type are the same string, `expo.<service>.<aggregate>.<event>` (event in the
past tense). Additive changes keep the type; a breaking change is a new type.
"""

import re
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

SUBJECT_PATTERN = re.compile(r"^expo\.[a-z_]+\.[a-z_]+\.[a-z_]+$")
CE_SPECVERSION = "1.0"

_REGISTRY: dict[str, type["Event"]] = {}


class Event(BaseModel):
    """Envelope: who did what, when, in which edition. Subclasses add a typed `data`."""

    model_config = ConfigDict(frozen=True)

    TYPE: ClassVar[str]  # the subject this event is published on

    id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Unique event id")
    type: str = Field(description="Event type, equal to the NATS subject")
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    edition: str = Field(description="Edition code, e.g. pingliang-2020")
    actor: str = Field(description="Principal id that caused the event (never personal data)")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("TYPE")
        if event_type is None:
            return
        if not SUBJECT_PATTERN.match(event_type):
            raise ValueError(f"bad event type {event_type!r}: expo.<service>.<aggregate>.<event>")
        if event_type in _REGISTRY:
            raise ValueError(f"event type {event_type!r} declared twice")
        _REGISTRY[event_type] = cls

    def __init__(self, **data: Any) -> None:
        data.setdefault("type", type(self).TYPE)
        super().__init__(**data)

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at must carry a time zone")
        return value.astimezone(UTC)

    @property
    def subject(self) -> str:
        return self.type

    @property
    def service(self) -> str:
        return self.type.split(".")[1]

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    def headers(self) -> dict[str, str]:
        """Nats-Msg-Id lets JetStream drop a re-published copy; ce-* are CloudEvents 1.0."""
        return {
            "Nats-Msg-Id": str(self.id),
            "ce-specversion": CE_SPECVERSION,
            "ce-id": str(self.id),
            "ce-source": f"/expo/{self.edition}/{self.service}",
            "ce-type": self.type,
            "ce-time": self.occurred_at.isoformat().replace("+00:00", "Z"),
            "content-type": "application/json",
        }


def event_class(event_type: str) -> type[Event] | None:
    return _REGISTRY.get(event_type)


def event_types() -> dict[str, type[Event]]:
    return dict(_REGISTRY)


def stream_for_subject(subject: str) -> str:
    """`expo.registration.unit.registered` -> `EXPO_REGISTRATION`."""
    return f"EXPO_{subject.split('.')[1].upper()}"
