"""Build every service as it runs (nothing started) and read its contract off it: the OpenAPI
and AsyncAPI documents it serves, the events it publishes and the events its consumers handle."""

import importlib
import json
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from shared.asyncapi import event_specification
from shared.bus import EventConsumer
from shared.events import EVENTS_BY_SERVICE, Event
from shared.settings import Settings
from shared.streams import SERVICES, service_stream

ASYNCAPI_DIR = PurePosixPath("docs/asyncapi")
OPENAPI_DIR = PurePosixPath("docs/openapi")
CATALOGUE = PurePosixPath("docs/events.md")
# The documents name the server `make run` starts, not whatever this machine points at.
DOCUMENTED_NATS_URL: str = Settings.model_fields["nats_url"].default


@dataclass(frozen=True)
class ServiceContract:
    service: str
    asyncapi: dict[str, Any]  # exactly what the service serves at /asyncapi
    openapi: dict[str, Any]  # exactly what it serves at /openapi.json (the default edition)
    publishes: tuple[type[Event], ...]
    subscribes: tuple[str, ...]  # the subjects its consumers read
    consumes: dict[str, list[str]]  # durable consumer -> event types it handles


def service_contracts() -> list[ServiceContract]:
    settings = Settings(env="development", nats_url=DOCUMENTED_NATS_URL)
    return [_contract(service, settings) for service in SERVICES]


def _contract(service: str, settings: Settings) -> ServiceContract:
    app = importlib.import_module(f"services.{service}.app").build(settings)
    runtime = app.state.runtime
    document = event_specification(runtime.broker, service, app.description)
    return ServiceContract(
        service=service,
        asyncapi=document.to_specification().to_jsonable(),
        openapi=app.openapi(),
        publishes=EVENTS_BY_SERVICE[service],
        subscribes=tuple(
            subject
            for consumer in runtime.consumers
            for subject in service_stream(consumer.source_service).subjects or ()
        ),
        consumes={c.durable: handled_event_types(c) for c in runtime.consumers},
    )


def handled_event_types(consumer: EventConsumer) -> list[str]:
    # EventConsumer keeps its handlers privately; it lists the same types in its AsyncAPI
    # description, but as prose.
    return list(consumer._handlers)


def asyncapi_path(service: str) -> PurePosixPath:
    return ASYNCAPI_DIR / f"{service}.json"


def openapi_path(service: str) -> PurePosixPath:
    return OPENAPI_DIR / f"{service}.json"


def document_text(document: dict[str, Any]) -> str:
    """Sorted keys and a fixed indent: the same document always gives the same bytes."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
