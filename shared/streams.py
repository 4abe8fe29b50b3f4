"""JetStream streams: one per publishing service, plus the dead-letter stream.

Streams keep everything (no age limit): they are the audit log and the replay source.
Every service that publishes to or consumes from a stream declares it the same way, so
start-up order does not matter. A declaration creates a missing stream and may raise an
existing one's replica count (EXPO_STREAM_REPLICAS: 3 on a three-node cluster); it never
lowers it nor changes anything else an operator set on a stream that exists.
"""

import dataclasses
import logging

from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

SERVICES = ("registration", "exhibitions", "signings", "publicity", "reporting")
DUPLICATE_WINDOW_SECONDS = 120.0
DEAD_LETTER_STREAM = "EXPO_DLQ"
DEAD_LETTER_PREFIX = "expo.dlq"


def stream_name(service: str) -> str:
    return f"EXPO_{service.upper()}"


log = logging.getLogger(__name__)


def service_stream(service: str, replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=stream_name(service),
        subjects=[f"expo.{service}.>"],
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        max_age=0,
        description=f"Events of the {service} service",
        num_replicas=replicas,
    )


def dead_letter_stream(replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=DEAD_LETTER_STREAM,
        subjects=[f"{DEAD_LETTER_PREFIX}.>"],
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        max_age=0,
        description="Messages a consumer could not process, with the reason",
        num_replicas=replicas,
    )


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    """Create the stream, or raise an existing one's replicas to the configured count."""
    assert config.name, "a stream needs a name"
    try:
        existing = (await js.stream_info(config.name)).config
    except NotFoundError:
        await js.add_stream(config)
        return
    wanted = config.num_replicas or 1
    if (existing.num_replicas or 1) < wanted:
        log.info("stream %s: %s -> %s replicas", config.name, existing.num_replicas, wanted)
        await js.update_stream(dataclasses.replace(existing, num_replicas=wanted))
