"""JetStream streams: one per publishing service, plus the dead-letter stream.

Streams keep everything (no age limit): they are the audit log and the replay source.
Every service that publishes to or consumes from a stream declares it the same way, so
start-up order does not matter.
"""

from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

SERVICES = ("registration", "exhibitions", "signings", "publicity", "reporting")
DUPLICATE_WINDOW_SECONDS = 120.0
DEAD_LETTER_STREAM = "EXPO_DLQ"
DEAD_LETTER_PREFIX = "expo.dlq"


def stream_name(service: str) -> str:
    return f"EXPO_{service.upper()}"


def service_stream(service: str) -> StreamConfig:
    return StreamConfig(
        name=stream_name(service),
        subjects=[f"expo.{service}.>"],
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        max_age=0,
        description=f"Events of the {service} service",
    )


def dead_letter_stream() -> StreamConfig:
    return StreamConfig(
        name=DEAD_LETTER_STREAM,
        subjects=[f"{DEAD_LETTER_PREFIX}.>"],
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        max_age=0,
        description="Messages a consumer could not process, with the reason",
    )


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    """Create the stream, or bring an existing one to this configuration."""
    assert config.name, "a stream needs a name"
    try:
        await js.stream_info(config.name)
    except NotFoundError:
        await js.add_stream(config)
    else:
        await js.update_stream(config)
