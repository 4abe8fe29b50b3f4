"""The NATS users of deploy/nats/nats.conf, against a real nats-server running that very file.

Each service user can do what its service does (declare the streams it touches, publish its
own events and dead letters, read the streams it consumes, follow the revocation list) and
cannot forge another service's events, erase the audit log or write the revocation list. The
integrator reads and replays, and changes nothing. The operator writes the revocation list
and touches nothing else. The last test runs the real services as their users, end to end.

A refusal is asserted as a client sees it: nats-py reports the server's "Permissions
Violation" on the connection's error callback, and the call gets no answer (no PubAck, no API
response); the streams and consumers are then checked to be exactly as before.
"""

import asyncio
import dataclasses
import importlib
import json
import re
import secrets
import urllib.request
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, KeyValueConfig, StreamConfig
from nats.js.errors import KeyNotFoundError

from shared.bus import EventConsumer
from shared.events import AchievementSubmitted, UnitRegistered
from shared.natsserver import NATS_CONF, NatsServer
from shared.revocations import BUCKET, open_bucket
from shared.streams import (
    DEAD_LETTER_STREAM,
    SERVICES,
    dead_letter_stream,
    ensure_stream,
    service_stream,
    stream_name,
)
from tests.support import (
    eventually,
    running_service,
    service_settings,
    stream_messages,
    token,
    unit_body,
)

# One server for the module: under `make test` its tests stay on one worker.
pytestmark = pytest.mark.xdist_group("nats-permissions")

USERS = (*SERVICES, "integrator", "operator")
# Generated per run and handed to nats-server as compose does: one variable per user.
PASSWORDS = {user: "s" + secrets.token_hex(12) for user in USERS}

# The streams each service consumes: its EventConsumers, in the order its app declares them.
# test_the_table_of_what_each_service_reads_matches_the_services keeps this honest.
READS: dict[str, tuple[str, ...]] = {
    "registration": (),
    "exhibitions": ("registration",),
    "signings": ("registration",),
    "publicity": (),
    "reporting": ("registration", "exhibitions", "signings", "publicity"),
}
# How long a refused call waits for the answer that never comes. The Permissions Violation,
# which is the decisive evidence, is awaited separately and for longer.
REFUSAL_WAIT = 0.25


def password_environment() -> dict[str, str]:
    return {f"{user.upper()}_NATS_PASSWORD": password for user, password in PASSWORDS.items()}


class ConfiguredNatsServer(NatsServer):
    """nats-server running the checked-in nats.conf as `expo run` runs it (shared/natsserver.py),
    passwords in the environment as compose passes them. Only where it listens and stores is
    changed: the ports by command-line flags, which nats-server applies over the file, and the
    store by a wrapper file that includes nats.conf unchanged and then replaces its
    `jetstream` block, because `-sd` conflicts with the file's `store_dir` ("Duplicate
    'store_dir' configuration") instead of overriding it. The replaced block only holds the
    store location and memory/disk limits, nothing about who may do what.
    """

    def __init__(self, workdir: Path) -> None:
        super().__init__(
            workdir / "store",
            log_file=workdir / "nats.log",
            config=NATS_CONF,
            environment=password_environment(),
            monitoring=True,  # the test of the overrides reads /varz
        )

    def url_for(self, user: str, password: str | None = None) -> str:
        return super().url_for(user, password or PASSWORDS[user])

    def log(self) -> str:
        assert self.log_file is not None
        return self.log_file.read_text(errors="replace")


@dataclass
class Connection:
    user: str
    nc: NatsClient
    js: JetStreamContext
    errors: list[Exception]

    async def violation_reported(self, subject: str, to: str = "publish to") -> None:
        # nats-py lowercases the server's error line before passing it on.
        expected = f'permissions violation for {to} "{subject}"'.lower()

        async def reported() -> bool:
            return any(expected in str(error).lower() for error in self.errors)

        await eventually(reported, timeout=5, what=f"{self.user} told: {expected}")


@asynccontextmanager
async def connected(server: ConfiguredNatsServer, user: str):
    errors: list[Exception] = []

    async def collect(error: Exception) -> None:
        errors.append(error)

    nc = await nats.connect(
        server.url_for(user), error_cb=collect, allow_reconnect=False, connect_timeout=5
    )
    try:
        yield Connection(user, nc, nc.jetstream(), errors)
    finally:
        await nc.close()


async def assert_refused(client: Connection, subject: str, attempt: Awaitable) -> None:
    """The server drops the publish (no PubAck, no API answer) and says why."""
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(attempt, REFUSAL_WAIT)
    await client.violation_reported(subject)


async def declare_streams_as_at_start_up(js: JetStreamContext, service: str) -> None:
    """What BusSupervisor.run does once the service is connected."""
    for source in (service, *READS[service]):
        await ensure_stream(js, service_stream(source))
    await ensure_stream(js, dead_letter_stream())


async def subscribe_as_the_service_does(client: Connection, service: str, source: str):
    """The durable pull consumer EventConsumer.attach asks FastStream for."""
    consumer = EventConsumer(service, source_service=source)
    return await client.js.pull_subscribe(
        f"expo.{source}.>",
        durable=consumer.durable,
        stream=consumer.stream,
        config=ConsumerConfig(
            durable_name=consumer.durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=30,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=-1,
        ),
    )


async def publish_as(server: ConfiguredNatsServer, service: str, subject: str) -> int:
    """Publishes one message as the service and returns its stream sequence."""
    async with connected(server, service) as client:
        ack = await client.js.publish(
            subject,
            b"{}",
            stream=stream_name(service),
            headers={"Nats-Msg-Id": str(uuid.uuid4())},
        )
    return ack.seq


async def audit_log(reader: Connection) -> dict:
    """What a refused call must leave unchanged: every stream (its messages and limits) and
    every durable consumer's position and pause state."""
    state: dict = {}
    for stream in await reader.js.streams_info():
        name, held = stream.config.name, stream.state
        state[name] = (
            held.messages,
            held.first_seq,
            held.last_seq,
            tuple(stream.config.subjects or ()),
            stream.config.max_msgs,
        )
        for consumer in await reader.js.consumers_info(name):
            if consumer.config.durable_name:  # ordered readers come and go on their own
                state[name, consumer.name] = (
                    consumer.delivered.stream_seq,
                    consumer.ack_floor.stream_seq,
                    consumer.paused,
                )
    return state


@pytest.fixture(scope="module")
def bus(tmp_path_factory):
    """The server for the refusal tests, as after every service has started once: its
    streams declared and its durable consumers created, each by the service's own user."""
    server = ConfiguredNatsServer(tmp_path_factory.mktemp("nats-permissions")).start()

    async def start_every_service_once() -> None:
        for service in SERVICES:
            async with connected(server, service) as client:
                await declare_streams_as_at_start_up(client.js, service)
                for source in READS[service]:
                    await subscribe_as_the_service_does(client, service, source)
                await open_bucket(client.js)  # the revocation list, as RevocationList follows it

    try:
        asyncio.run(start_every_service_once())
        yield server
    finally:
        server.stop(kill=True)


@pytest.fixture
def fresh_bus(tmp_path):
    """A server of its own, empty: the streams are created by whoever the test runs."""
    server = ConfiguredNatsServer(tmp_path / "nats").start()
    yield server
    server.stop(kill=True)


@pytest.fixture
async def integrator(bus):
    """Reads the state the assertions look at, with the read-only user outsiders get."""
    async with connected(bus, "integrator") as client:
        yield client


# --- the server under test ------------------------------------------------------------------


def test_the_server_runs_the_checked_in_file_on_ports_and_a_store_of_its_own(bus):
    conf = NATS_CONF.read_text()
    file_port = int(re.search(r"^port:\s*(\d+)", conf, re.M).group(1))
    file_monitoring_port = int(re.search(r"^http_port:\s*(\d+)", conf, re.M).group(1))
    file_server_name = re.search(r"^server_name:\s*(\S+)", conf, re.M).group(1)
    with urllib.request.urlopen(f"{bus.monitoring_url}/varz", timeout=5) as response:
        varz = json.load(response)

    # The command line won over the file (varz was just read from the monitoring port)...
    assert varz["port"] == bus.port != file_port
    assert int(bus.monitoring_url.rsplit(":", 1)[1]) != file_monitoring_port
    assert varz["host"] == "127.0.0.1"
    assert varz["jetstream"]["config"]["store_dir"].startswith(str(bus.store_dir))
    # ...and the rest is the file's.
    assert varz["server_name"] == file_server_name
    assert varz["auth_required"] is True


async def _ignore(_error: Exception) -> None:
    """The refusal is asserted on the exception connect raises."""


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("password", ["made-up", "another user's"])
async def test_a_wrong_password_is_refused(bus, user, password):
    others = [u for u in USERS if u != user]
    wrong = "s" + secrets.token_hex(12) if password == "made-up" else PASSWORDS[others[0]]
    with pytest.raises(nats.errors.Error, match=r"(?i)authorization violation"):
        await nats.connect(
            bus.url_for(user, wrong), allow_reconnect=False, connect_timeout=5, error_cb=_ignore
        )


@pytest.mark.finding(15)
async def test_a_client_without_credentials_is_refused(bus):
    with pytest.raises(nats.errors.Error, match=r"(?i)authorization violation"):
        await nats.connect(
            f"nats://127.0.0.1:{bus.port}",
            allow_reconnect=False,
            connect_timeout=5,
            error_cb=_ignore,
        )


async def test_the_table_of_what_each_service_reads_matches_the_services(tmp_path):
    for service in SERVICES:
        app = importlib.import_module(f"services.{service}.app").build(
            service_settings("nats://127.0.0.1:4222", var_dir=tmp_path)
        )
        runtime = app.state.runtime
        try:
            assert tuple(c.source_service for c in runtime.consumers) == READS[service]
            # The streams it declares when it connects: its own, then those it reads.
            assert runtime.bus.services == [service, *READS[service]]
        finally:
            await runtime.engine.dispose()


# --- what every service user may do ---------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_declares_the_streams_it_touches_as_at_start_up(fresh_bus, service):
    async with connected(fresh_bus, service) as client:
        await declare_streams_as_at_start_up(client.js, service)  # creates them
        await declare_streams_as_at_start_up(client.js, service)  # a restart: updates them
    async with connected(fresh_bus, "integrator") as integrator:
        declared = {s.config.name: s.config for s in await integrator.js.streams_info()}

    expected = [service_stream(s) for s in (service, *READS[service])] + [dead_letter_stream()]
    assert set(declared) == {config.name for config in expected}
    for config in expected:
        assert declared[config.name].subjects == config.subjects
        assert declared[config.name].duplicate_window == config.duplicate_window
    assert not client.errors


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_publishes_its_own_events(bus, integrator, service):
    subject = f"expo.{service}.permission.checked"
    async with connected(bus, service) as client:
        ack = await client.js.publish(
            subject, b"{}", stream=stream_name(service), headers={"Nats-Msg-Id": str(uuid.uuid4())}
        )
    assert ack.stream == stream_name(service)
    assert (await integrator.js.get_msg(ack.stream, ack.seq)).subject == subject


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_dead_letters_under_its_own_name(bus, integrator, service):
    subject = f"expo.dlq.{service}.invalid"
    async with connected(bus, service) as client:
        ack = await client.js.publish(
            subject,
            b"not an event",
            stream=DEAD_LETTER_STREAM,
            headers={"Nats-Msg-Id": str(uuid.uuid4()), "expo-reason": "body: invalid"},
        )
    assert ack.stream == DEAD_LETTER_STREAM
    assert (await integrator.js.get_msg(ack.stream, ack.seq)).subject == subject


@pytest.mark.parametrize(
    ("service", "source"),
    [(service, source) for service in SERVICES for source in READS[service]],
    ids=lambda name: name,
)
async def test_a_service_reads_the_streams_it_consumes(fresh_bus, service, source):
    async with connected(fresh_bus, source) as publisher:
        await declare_streams_as_at_start_up(publisher.js, source)
    seq = await publish_as(fresh_bus, source, f"expo.{source}.permission.checked")
    async with connected(fresh_bus, service) as client:
        await declare_streams_as_at_start_up(client.js, service)
        subscription = await subscribe_as_the_service_does(client, service, source)
        [message] = await subscription.fetch(1, timeout=5)
        await message.ack_sync()  # returns once the server has taken the ack
        durable = EventConsumer(service, source_service=source).durable
        info = await client.js.consumer_info(stream_name(source), durable)
    assert message.metadata.sequence.stream == seq
    assert info.num_ack_pending == 0 and info.ack_floor.stream_seq == seq
    assert not client.errors


# --- what a service user may not do ---------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_cannot_publish_another_services_events(bus, integrator, service):
    before = await audit_log(integrator)
    others = [other for other in SERVICES if other != service]
    async with connected(bus, service) as client:
        await asyncio.gather(
            *(
                assert_refused(
                    client,
                    f"expo.{other}.forged.event",
                    client.js.publish(
                        f"expo.{other}.forged.event",
                        b"{}",
                        stream=stream_name(other),
                    ),
                )
                for other in others
            )
        )
    assert await audit_log(integrator) == before


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_cannot_dead_letter_under_another_services_name(bus, integrator, service):
    before = await audit_log(integrator)
    others = [other for other in SERVICES if other != service]
    async with connected(bus, service) as client:
        await asyncio.gather(
            *(
                assert_refused(
                    client,
                    f"expo.dlq.{other}.invalid",
                    client.js.publish(
                        f"expo.dlq.{other}.invalid",
                        b"{}",
                        stream=DEAD_LETTER_STREAM,
                    ),
                )
                for other in others
            )
        )
    assert await audit_log(integrator) == before


@dataclass(frozen=True)
class ApiCall:
    subject: str  # the JetStream API subject the server checks
    run: Callable[[JetStreamContext], Awaitable]


def erasures(stream: str, seq: int) -> dict[str, ApiCall]:
    return {
        "delete-stream": ApiCall(
            f"$JS.API.STREAM.DELETE.{stream}", lambda js: js.delete_stream(stream)
        ),
        "purge-stream": ApiCall(
            f"$JS.API.STREAM.PURGE.{stream}", lambda js: js.purge_stream(stream)
        ),
        "delete-message": ApiCall(
            f"$JS.API.STREAM.MSG.DELETE.{stream}", lambda js: js.delete_msg(stream, seq)
        ),
    }


@pytest.mark.parametrize("erasure", list(erasures("S", 1)))
@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_cannot_erase_its_own_history(bus, integrator, service, erasure):
    seq = await publish_as(bus, service, f"expo.{service}.permission.checked")
    call = erasures(stream_name(service), seq)[erasure]
    before = await audit_log(integrator)
    async with connected(bus, service) as client:
        await assert_refused(client, call.subject, call.run(client.js))
    assert await audit_log(integrator) == before
    assert (await integrator.js.get_msg(stream_name(service), seq)).seq == seq


# The streams a service has no reason to create or change: those it neither publishes to nor
# reads. (Reporting reads every stream, so it declares, and may update, all of them.)
UNTOUCHED = {
    service: [other for other in SERVICES if other != service and other not in READS[service]]
    for service in SERVICES
}


@pytest.mark.parametrize("service", [service for service in SERVICES if UNTOUCHED[service]])
async def test_a_service_cannot_reconfigure_or_add_streams_beyond_those_it_declares(
    bus, integrator, service
):
    # Updating another stream to keep one message would silently erase its history.
    calls = [
        ApiCall(
            f"$JS.API.STREAM.UPDATE.{stream_name(other)}",
            lambda js, other=other: js.update_stream(
                dataclasses.replace(service_stream(other), max_msgs=1)
            ),
        )
        for other in UNTOUCHED[service]
    ]
    calls.append(
        ApiCall(
            f"$JS.API.STREAM.CREATE.EXPO_{service.upper()}_COPY",
            lambda js: js.add_stream(
                StreamConfig(name=f"EXPO_{service.upper()}_COPY", subjects=[f"copy.{service}.>"])
            ),
        )
    )
    before = await audit_log(integrator)
    async with connected(bus, service) as client:
        await asyncio.gather(
            *(assert_refused(client, call.subject, call.run(client.js)) for call in calls)
        )
    assert await audit_log(integrator) == before


# --- the integrator -------------------------------------------------------------------------


async def test_the_integrator_lists_and_inspects_the_streams(integrator):
    names = {stream.config.name for stream in await integrator.js.streams_info()}
    assert names >= {stream_name(s) for s in SERVICES} | {DEAD_LETTER_STREAM}
    info = await integrator.js.stream_info(stream_name("registration"))
    assert info.config.subjects == ["expo.registration.>"]
    assert (await integrator.js.account_info()).streams >= len(SERVICES) + 1
    assert not integrator.errors


async def test_the_integrator_reads_with_its_own_durable_consumer(bus, integrator):
    seq = await publish_as(bus, "registration", "expo.registration.permission.checked")
    durable = f"city-dashboard-{uuid.uuid4().hex[:8]}"
    subscription = await integrator.js.pull_subscribe(
        "expo.registration.>", durable=durable, stream=stream_name("registration")
    )
    fetched: list[int] = []
    while seq not in fetched:
        for message in await subscription.fetch(batch=100, timeout=5):
            await message.ack_sync()
            fetched.append(message.metadata.sequence.stream)
    info = await integrator.js.consumer_info(stream_name("registration"), durable)
    assert info.num_ack_pending == 0 and info.ack_floor.stream_seq >= seq
    assert not integrator.errors


@pytest.mark.parametrize("start", ["by-sequence", "by-time"])
async def test_the_integrator_replays_from_a_point_in_history(bus, integrator, start):
    stream = stream_name("registration")
    subject = f"expo.registration.replay.{uuid.uuid4().hex}"
    sequences = []
    for _ in range(3):
        sequences.append(await publish_as(bus, "registration", subject))
        await asyncio.sleep(0.01)  # distinct stored times
    second = await integrator.js.get_msg(stream, sequences[1])  # `nats stream get`
    starting_point = {
        "by-sequence": ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=sequences[1]
        ),
        "by-time": ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=second.time
        ),
    }[start]

    # As integrators are told to replay: a durable pull consumer of their own, created with
    # its starting point, then bound to.
    durable = f"replay-{uuid.uuid4().hex[:8]}__{stream}"
    await integrator.js.add_consumer(
        stream,
        dataclasses.replace(
            starting_point,
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            filter_subject=subject,
        ),
    )
    subscription = await integrator.js.pull_subscribe_bind(durable, stream=stream)
    replayed = await subscription.fetch(2, timeout=5)
    for message in replayed:
        await message.ack_sync()

    assert [message.metadata.sequence.stream for message in replayed] == sequences[1:]
    assert not integrator.errors


@pytest.mark.parametrize("service", SERVICES)
async def test_the_integrator_cannot_publish_events_or_dead_letters(bus, integrator, service):
    targets = {
        f"expo.{service}.forged.event": stream_name(service),
        f"expo.dlq.{service}.invalid": DEAD_LETTER_STREAM,
    }
    before = await audit_log(integrator)
    await asyncio.gather(
        *(
            assert_refused(
                integrator,
                subject,
                integrator.js.publish(subject, b"{}", stream=stream),
            )
            for subject, stream in targets.items()
        )
    )
    assert await audit_log(integrator) == before


REGISTRATION_STREAM = stream_name("registration")
STREAM_CHANGES = {
    "delete": ApiCall(
        f"$JS.API.STREAM.DELETE.{REGISTRATION_STREAM}",
        lambda js: js.delete_stream(REGISTRATION_STREAM),
    ),
    "purge": ApiCall(
        f"$JS.API.STREAM.PURGE.{REGISTRATION_STREAM}",
        lambda js: js.purge_stream(REGISTRATION_STREAM),
    ),
    "delete-a-message": ApiCall(
        f"$JS.API.STREAM.MSG.DELETE.{REGISTRATION_STREAM}",
        lambda js: js.delete_msg(REGISTRATION_STREAM, 1),
    ),
    "reconfigure": ApiCall(
        f"$JS.API.STREAM.UPDATE.{REGISTRATION_STREAM}",
        lambda js: js.update_stream(
            dataclasses.replace(service_stream("registration"), max_msgs=1)
        ),
    ),
    "create": ApiCall(
        "$JS.API.STREAM.CREATE.INTEGRATOR_COPY",
        lambda js: js.add_stream(StreamConfig(name="INTEGRATOR_COPY", subjects=["copy.>"])),
    ),
}


@pytest.mark.parametrize("change", list(STREAM_CHANGES))
async def test_the_integrator_cannot_change_the_streams(bus, integrator, change):
    await publish_as(bus, "registration", "expo.registration.permission.checked")
    call = STREAM_CHANGES[change]
    before = await audit_log(integrator)
    await assert_refused(integrator, call.subject, call.run(integrator.js))
    assert await audit_log(integrator) == before


# Every durable consumer of every service (`<consumer>__<STREAM>`).
SERVICE_CONSUMERS = [
    EventConsumer(service, source_service=source)
    for service in SERVICES
    for source in READS[service]
]


async def pull_one(js: JetStreamContext, stream: str, durable: str) -> list:
    subscription = await js.pull_subscribe_bind(durable, stream=stream)
    return await subscription.fetch(1, timeout=5)


def changes_to(consumer: EventConsumer) -> dict[str, ApiCall]:
    """What the integrator could do to a service's consumer, each with the API subject it
    publishes to. The re-creations would throttle it to one message in flight."""
    stream, name = consumer.stream, consumer.durable
    throttled = ConsumerConfig(
        durable_name=name,
        ack_policy=AckPolicy.EXPLICIT,
        filter_subject=f"expo.{consumer.source_service}.>",
        max_ack_pending=1,
    )
    return {
        # Takes events away from the service: each message goes to one puller.
        "pull-from": ApiCall(
            f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{name}", lambda js: pull_one(js, stream, name)
        ),
        "re-create-with-filter": ApiCall(
            f"$JS.API.CONSUMER.CREATE.{stream}.{name}.{throttled.filter_subject}",
            lambda js: js.add_consumer(stream, dataclasses.replace(throttled, name=name)),
        ),
        "re-create-without-filter": ApiCall(
            f"$JS.API.CONSUMER.CREATE.{stream}.{name}",
            lambda js: js.add_consumer(
                stream, dataclasses.replace(throttled, name=name, filter_subject=None)
            ),
        ),
        "re-create-by-durable-name": ApiCall(
            f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{name}",
            lambda js: js.add_consumer(stream, throttled),
        ),
        "delete": ApiCall(
            f"$JS.API.CONSUMER.DELETE.{stream}.{name}",
            lambda js: js.delete_consumer(stream, name),
        ),
        "pause": ApiCall(
            f"$JS.API.CONSUMER.PAUSE.{stream}.{name}",
            lambda js: js.pause_consumer(stream, name, "2100-01-01T00:00:00Z"),
        ),
        # Moves its position: the service would skip events, or see them again.
        "move": ApiCall(
            f"$JS.API.CONSUMER.RESET.{stream}.{name}",
            lambda js: js.reset_consumer(stream, name, seq=1),
        ),
    }


@pytest.mark.parametrize("change", list(changes_to(SERVICE_CONSUMERS[0])))
async def test_the_integrator_cannot_touch_the_services_consumers(bus, integrator, change):
    await publish_as(bus, "registration", "expo.registration.permission.checked")
    calls = [changes_to(consumer)[change] for consumer in SERVICE_CONSUMERS]
    before = await audit_log(integrator)
    await asyncio.gather(
        *(assert_refused(integrator, call.subject, call.run(integrator.js)) for call in calls)
    )
    assert await audit_log(integrator) == before


# --- the revocation list -------------------------------------------------------------------

KV_STREAM = f"KV_{BUCKET}"
# The list as it is meant to be read: a key by direct get ($JS.API.DIRECT.GET.<stream>.>),
# which the bucket must allow.
DIRECT_BUCKET = KeyValueConfig(bucket=BUCKET, history=1, direct=True)
# Enough to make the server ask the watchers for flow control ($JS.FC.<stream>.>) a few times.
BURST = 400
BURST_VALUE = b"x" * 4096


async def bucket_contents(watcher) -> dict[str, str | None]:
    """What a watcher started on a bucket reports first: each key with its last operation
    (None for a put, "DEL" for a delete), up to its "that is all" marker."""
    seen: dict[str, str | None] = {}
    while (entry := await watcher.updates(timeout=5)) is not None:
        seen[entry.key] = entry.operation
    return seen


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_creates_the_revocation_list_watches_and_reads_it(fresh_bus, service):
    """As a service starts before anyone revoked anything: it creates the bucket, follows every
    key (an ordered consumer, flow control included) and reads one."""
    async with connected(fresh_bus, service) as client, connected(fresh_bus, "operator") as op:
        kv = await client.js.create_key_value(DIRECT_BUCKET)
        watcher = await kv.watchall()
        assert await bucket_contents(watcher) == {}
        written = await open_bucket(op.js)  # as `expo token revoke` finds it
        for n in range(BURST):
            await written.put(f"jti-{n}", BURST_VALUE)
        await written.delete("jti-0")  # the last write: the watch delivers in order

        seen: dict[str, str | None] = {}
        while seen.get("jti-0") != "DEL":
            entry = await watcher.updates(timeout=5)
            seen[entry.key] = entry.operation
        await watcher.stop()
        assert set(seen) == {f"jti-{n}" for n in range(BURST)}
        assert (await kv.get("jti-1")).value == BURST_VALUE
    assert not client.errors and not op.errors


async def test_the_operator_creates_the_revocation_list_puts_and_deletes_a_key(fresh_bus):
    """`expo token revoke` before any service has started: the operator creates the bucket;
    a service that starts later follows what it wrote."""
    async with connected(fresh_bus, "operator") as op:
        kv = await op.js.create_key_value(DIRECT_BUCKET)
        await kv.put("jti-revoked", b"{}")
        await kv.put("jti-mistake", b"{}")
        await kv.delete("jti-mistake")
        assert (await kv.get("jti-revoked")).value == b"{}"
        with pytest.raises(KeyNotFoundError):  # deleted: nats-py says "not found"
            await kv.get("jti-mistake")
        own_watch = await kv.watchall()
        assert await bucket_contents(own_watch) == {"jti-revoked": None, "jti-mistake": "DEL"}
        await own_watch.stop()
    async with connected(fresh_bus, "registration") as service:
        watcher = await (await open_bucket(service.js)).watchall()
        assert await bucket_contents(watcher) == {"jti-revoked": None, "jti-mistake": "DEL"}
        await watcher.stop()
    assert not op.errors and not service.errors


def revocation_writes(kv) -> dict[str, ApiCall]:
    subject = f"$KV.{BUCKET}.jti-forged"
    return {
        "put": ApiCall(subject, lambda _js: kv.put("jti-forged", b"{}")),
        "delete": ApiCall(subject, lambda _js: kv.delete("jti-forged")),
        "purge": ApiCall(subject, lambda _js: kv.purge("jti-forged")),
    }


@pytest.mark.parametrize("write", ["put", "delete", "purge"])
@pytest.mark.parametrize("user", [*SERVICES, "integrator"])
@pytest.mark.finding(8)
async def test_only_the_operator_writes_the_revocation_list(bus, integrator, user, write):
    """A service that could delete a key would take a leaked token off the list."""
    async with connected(bus, "operator") as op:
        await (await open_bucket(op.js)).put("jti-forged", b"{}")
    before = await audit_log(integrator)
    async with connected(bus, user) as client:
        kv = await client.js.key_value(BUCKET)
        call = revocation_writes(kv)[write]
        await assert_refused(client, call.subject, call.run(client.js))
    assert await audit_log(integrator) == before


def event_calls() -> dict[str, ApiCall]:
    """What the operator has no business doing: reading or writing events, touching streams."""
    registration = stream_name("registration")
    forged = f"expo.registration.{uuid.uuid4().hex}"
    return {
        "publish-an-event": ApiCall(
            forged, lambda js: js.publish(forged, b"{}", stream=registration)
        ),
        "dead-letter": ApiCall(
            "expo.dlq.registration.invalid",
            lambda js: js.publish(
                "expo.dlq.registration.invalid", b"{}", stream=DEAD_LETTER_STREAM
            ),
        ),
        "look-up-a-stream": ApiCall(
            f"$JS.API.STREAM.INFO.{registration}", lambda js: js.stream_info(registration)
        ),
        "read-a-message": ApiCall(
            f"$JS.API.DIRECT.GET.{registration}",
            lambda js: js.get_msg(registration, seq=1, direct=True),
        ),
        "read-with-a-consumer": ApiCall(
            f"$JS.API.CONSUMER.CREATE.{registration}",
            lambda js: js.subscribe(
                "expo.registration.>", stream=registration, ordered_consumer=True
            ),
        ),
        "delete-the-revocation-list": ApiCall(
            f"$JS.API.STREAM.DELETE.{KV_STREAM}", lambda js: js.delete_stream(KV_STREAM)
        ),
        "purge-the-revocation-list": ApiCall(
            f"$JS.API.STREAM.PURGE.{KV_STREAM}", lambda js: js.purge_stream(KV_STREAM)
        ),
        "reconfigure-the-revocation-list": ApiCall(
            f"$JS.API.STREAM.UPDATE.{KV_STREAM}",
            lambda js: js.update_stream(StreamConfig(name=KV_STREAM, subjects=[f"$KV.{BUCKET}.>"])),
        ),
    }


@pytest.mark.parametrize("call", list(event_calls()))
async def test_the_operator_touches_nothing_but_the_revocation_list(bus, integrator, call):
    await publish_as(bus, "registration", "expo.registration.permission.checked")
    attempt = event_calls()[call]
    before = await audit_log(integrator)
    async with connected(bus, "operator") as op:
        await assert_refused(op, attempt.subject, attempt.run(op.js))
    assert await audit_log(integrator) == before


async def test_the_operator_cannot_listen_to_the_events(bus):
    async with connected(bus, "operator") as op:
        await op.nc.subscribe("expo.>")
        await op.violation_reported("expo.>", to="subscription to")


# --- the real services, each as its own user ------------------------------------------------


@pytest.mark.db
async def test_the_services_run_as_their_users_and_reporting_counts_a_registered_unit(
    fresh_bus, databases, tmp_path
):
    async with AsyncExitStack() as stack:
        running = {
            service: await stack.enter_async_context(
                running_service(
                    service, service_settings(fresh_bus.url_for(service), var_dir=tmp_path)
                )
            )
            for service in SERVICES
        }

        created = await running["registration"].client.post(
            "/api/v1/units", json=unit_body("kongtong"), headers=token("county:kongtong")
        )
        assert created.status_code == 201, created.text
        unit_id = created.json()["id"]

        async def on_the_stream() -> bool:
            messages = await stream_messages(fresh_bus.url_for("integrator"), UnitRegistered.TYPE)
            return [json.loads(m.data)["data"]["unit_id"] for m in messages] == [unit_id]

        await eventually(on_the_stream, what="unit.registered on EXPO_REGISTRATION")

        async def counted_by_reporting() -> bool:
            answer = await running["reporting"].client.get(
                "/api/v1/status/units", headers=token("committee")
            )
            return answer.json().get("kongtong") == 1

        await eventually(counted_by_reporting, timeout=15, what="reporting counts the unit")

        # A corrupt achievement event: every reader of registration dead-letters it under
        # its own name, through the real dead-letter path.
        async with connected(fresh_bus, "registration") as registration:
            await registration.js.publish(
                AchievementSubmitted.TYPE,
                b'{"not": "an event"}',
                stream=stream_name("registration"),
                headers={"Nats-Msg-Id": str(uuid.uuid4())},
            )
        readers = [service for service in SERVICES if "registration" in READS[service]]
        for reader in readers:

            async def dead_lettered(reader=reader) -> bool:
                url = fresh_bus.url_for("integrator")
                return len(await stream_messages(url, f"expo.dlq.{reader}.invalid")) == 1

            await eventually(dead_lettered, timeout=15, what=f"{reader} dead-letters it")

    # Nothing the services did at start-up, publishing, consuming or dead-lettering was refused.
    violations = [line for line in fresh_bus.log().splitlines() if "Violation" in line]
    assert not violations, "\n".join(violations)
