"""A service's AsyncAPI document: built one way for `/asyncapi` and for `make docs`.

FastStream documents on its own the subscribers a broker runs. What a service publishes goes
out through the outbox relay, not through FastStream publishers, so each event type is
declared on the broker as a publisher for the document only; nothing is ever sent with it.
"""

from collections.abc import Sequence

from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI

from shared.events import Event

VERSION = "1.0"


def declare_published_events(broker: NatsBroker, events: Sequence[type[Event]]) -> None:
    for event_type in events:
        broker.publisher(
            event_type.TYPE,
            schema=event_type,
            title=event_type.TYPE,
            description=event_type.meaning(),
        )


def event_specification(broker: NatsBroker, service: str, description: str) -> AsyncAPI:
    """Starts nothing: FastStream reads the broker's declarations when asked for the document."""
    return AsyncAPI(
        broker, title=f"ExpoOps {service} events", version=VERSION, description=description
    )
