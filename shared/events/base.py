"""The envelope every event shares, its subject naming and its NATS headers.

Subject and type are the same string, `expo.<service>.<aggregate>.<event>` (event in the
past tense). Additive changes keep the type; a breaking change is a new type: the same name
with a version suffix (`expo.reporting.task.created_v2`), so that a subscription to the
aggregate (`expo.reporting.task.*`) meets the new type instead of falling silent. The type it
replaces is retired (`REPLACED_BY`): never published again, but still declared and documented,
since the streams keep what was published under it.

The JSON schemas of these models are what integrators read (AsyncAPI, docs/events.md), so
they describe the wire: every field is always present (`null` when empty), and each event
type carries a realistic example that the tests validate.
"""

import copy
import inspect
import re
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

# The event may end in a version from 2 on (`created_v2`): the first version has none.
SUBJECT_PATTERN = re.compile(r"^expo\.[a-z_]+\.[a-z_]+\.[a-z_]+(_v([2-9]|[1-9][0-9]+))?$")
CE_SPECVERSION = "1.0"
EXAMPLE_EDITION = "pingliang-2020"
EXAMPLE_TIME = "2020-08-01T01:30:00Z"  # 09:30 in Pingliang, during the preparation

_REGISTRY: dict[str, type["Event"]] = {}

# Schemas in serialization mode, with defaulted fields required: a consumer always receives
# them, so code generated from the schema need not treat them as optional.
_WIRE_SCHEMA = ConfigDict(
    frozen=True,
    json_schema_mode_override="serialization",
    json_schema_serialization_defaults_required=True,
)


class EventData(BaseModel):
    """Base of every event's `data`."""

    model_config = _WIRE_SCHEMA


def _document_event(schema: dict[str, Any], cls: type) -> None:
    """Pin `type` to the event's subject and attach its example to the JSON schema; mark a
    retired type `deprecated` (JSON Schema's and AsyncAPI's word for it)."""
    event_type = getattr(cls, "TYPE", None)
    if event_type is None:
        return
    schema["properties"]["type"]["const"] = event_type
    schema["examples"] = [cls.example()]  # type: ignore[attr-defined]
    if getattr(cls, "REPLACED_BY", None) is not None:
        schema["deprecated"] = True


class Event(BaseModel):
    """Envelope: who did what, when, in which edition. Subclasses add a typed `data`."""

    model_config = ConfigDict(**_WIRE_SCHEMA, json_schema_extra=_document_event)

    TYPE: ClassVar[str]  # the subject this event is published on
    # A realistic instance: `actor` and `data` (and `occurred_at` if it matters); the rest of
    # the envelope is filled in by `example()`.
    EXAMPLE: ClassVar[dict[str, Any]]
    # Set on a retired type: the type published in its place. A retired type is never
    # published again; it stays declared so that what the streams hold under it can be read.
    REPLACED_BY: ClassVar[str | None] = None

    id: uuid.UUID = Field(
        default_factory=uuid.uuid4,
        description="Unique event id, also sent as Nats-Msg-Id and ce-id: de-duplicate on it",
    )
    type: str = Field(description="Event type, equal to the NATS subject")
    occurred_at: datetime = Field(
        default_factory=lambda: datetime.now(UTC),
        description="When it happened, in UTC (a rehearsal may run the clock ahead)",
    )
    edition: str = Field(description="Edition code, e.g. pingliang-2020")
    actor: str = Field(
        description="Principal id that caused it (a token's subject, or system:<job>); never "
        "personal data"
    )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("TYPE")
        if event_type is None:
            return
        if not SUBJECT_PATTERN.match(event_type):
            raise ValueError(
                f"bad event type {event_type!r}: expo.<service>.<aggregate>.<event>[_v<n>]"
            )
        if event_type in _REGISTRY:
            raise ValueError(f"event type {event_type!r} declared twice")
        _REGISTRY[event_type] = cls

    def __init__(self, **data: Any) -> None:
        data.setdefault("type", type(self).TYPE)
        super().__init__(**data)

    # Only code that builds an event needs the default above; what arrives on the wire must
    # say its type. Marked like pydantic's own `__init__`, validation skips this one: it
    # would otherwise turn every JSON body into keyword arguments first (a tenth of a replay).
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at must carry a time zone")
        return value.astimezone(UTC)

    @classmethod
    def meaning(cls) -> str:
        """What the event says happened: the class's own docstring, never the envelope's."""
        return inspect.cleandoc(cls.__dict__.get("__doc__") or "")

    @classmethod
    def example(cls) -> dict[str, Any]:
        """The example as it appears on the wire (JSON body), with a stable id: a fresh copy
        each time, so a caller that edits it cannot change the published contract."""
        return copy.deepcopy(
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:expo:example:{cls.TYPE}")),
                "type": cls.TYPE,
                "occurred_at": EXAMPLE_TIME,
                "edition": EXAMPLE_EDITION,
                **cls.EXAMPLE,
            }
        )

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
