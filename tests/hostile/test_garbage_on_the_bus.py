"""Raw garbage published straight onto the streams, past every service's own checks, while
the consuming services run: each bad message is dead-lettered with a reason that says why,
nothing bad reaches a projection, and the valid event behind them is still applied. So is a
well-formed event that is not the consumers' to apply: another edition's, or one that does
not say it comes from registration.

tests/reporting/test_registration_consumer.py covers one malformed message at a time for one
consumer; here every consumer of registration's stream (exhibitions, signings, reporting)
meets a whole run of different garbage, and reporting also meets it on a second stream.
"""

import json
import re
import uuid
from contextlib import AsyncExitStack

import nats
import pytest
from sqlalchemy import select

from shared.events import AchievementApproved, AchievementData, AchievementWithdrawn, DisplayNeeds
from shared.streams import DEAD_LETTER_STREAM, stream_name
from tests.support import (
    eventually,
    metric,
    running_service,
    scrape,
    service_settings,
    stream_messages,
    token,
)

pytestmark = pytest.mark.db

CONSUMERS = ("exhibitions", "signings", "reporting")
APPROVED = AchievementApproved.TYPE
TIMEOUT = 20.0


def approved(county: str = "kongtong") -> AchievementApproved:
    return AchievementApproved(
        edition="pingliang-2020",
        actor="registration-leader",
        data=AchievementData(
            achievement_id=uuid.uuid4(),
            version=3,
            unit_id=uuid.uuid4(),
            unit_name="平凉市农业科学院",
            county=county,
            title="旱作农业全膜双垄沟播技术",
            field="agriculture",
            maturity="industrialised",
            status="approved",
            display=DisplayNeeds(floor_area_m2=12.0, power_kw=1.5, live_demo=True),
        ),
    )


def with_type(event: AchievementApproved, event_type: str) -> bytes:
    body = json.loads(event.to_json())
    body["type"] = event_type
    return json.dumps(body).encode()


@pytest.fixture
async def consumers(nats_server, databases, tmp_path):
    settings = service_settings(nats_server.url, var_dir=tmp_path, consumer_max_deliver=2)
    async with AsyncExitStack() as stack:
        yield {
            name: await stack.enter_async_context(running_service(name, settings))
            for name in CONSUMERS
        }


@pytest.fixture
async def nc(nats_server):
    connection = await nats.connect(nats_server.url)
    yield connection
    await connection.close()


async def replica_ids(svc, table_name: str) -> set[str]:
    table = svc.runtime.metadata.tables[table_name]
    async with svc.runtime.sessions() as session:
        return set((await session.execute(select(table.c.achievement_id))).scalars())


REPLICA_TABLE = {"exhibitions": "exhibits", "signings": "achievements", "reporting": "achievements"}


async def test_garbage_on_the_streams_is_dead_lettered_with_a_reason_and_the_next_event_applies(
    consumers, nc, nats_server, databases, report_figure
):
    js = nc.jetstream()
    registration, signings_stream = stream_name("registration"), stream_name("signings")
    # First on each stream, so both sit at sequence 1: without a Nats-Msg-Id, a dead letter
    # must still be told apart from another stream's message with the same sequence.
    await js.publish(APPROVED, b"no headers, not json", stream=registration)
    await js.publish("expo.signings.project.proposed", b"no headers either", stream=signings_stream)

    impostor = approved("huating")  # valid in every field but its type
    disguised = approved("jingning")  # an approval whose body says it is a withdrawal
    huge = b"[" * (nc.max_payload - 200)  # the server's limit, less room for the Nats-Msg-Id
    garbage = {
        "invalid-json": b'{"id": "not json',
        "not-utf8": b"\xff\xfe\x00garbage",
        "wrong-schema": json.dumps({"hello": "world", "type": APPROVED}).encode(),
        "huge": huge,
        "unknown-type": with_type(impostor, "expo.registration.achievement.exploded"),
        "another-known-type": with_type(disguised, AchievementWithdrawn.TYPE),
    }
    for name, body in garbage.items():
        await js.publish(APPROVED, body, stream=registration, headers={"Nats-Msg-Id": name})
    # A subject no service handles is acknowledged and ignored, never applied.
    stray = approved("lingtai")
    await js.publish(
        "expo.registration.achievement.exploded",
        with_type(stray, "expo.registration.achievement.exploded"),
        stream=registration,
        headers={"Nats-Msg-Id": "stray"},
    )
    valid = approved("kongtong")
    await js.publish(valid.subject, valid.to_json(), stream=registration, headers=valid.headers())

    expected = {consumer: len(garbage) + 1 + (consumer == "reporting") for consumer in CONSUMERS}
    for consumer, svc in consumers.items():

        async def valid_event_applied(svc=svc, consumer=consumer) -> bool:
            return str(valid.data.achievement_id) in await replica_ids(svc, REPLICA_TABLE[consumer])

        await eventually(valid_event_applied, TIMEOUT, f"{consumer} applied the valid event")

    for consumer, svc in consumers.items():
        # The valid event applied says this stream's garbage is behind it; reporting's letter
        # for the signings stream comes from its other consumer, at that one's own pace.
        async def all_dead_lettered(consumer=consumer) -> bool:
            letters = await stream_messages(nats_server.url, f"expo.dlq.{consumer}.>")
            return len(letters) >= expected[consumer]

        await eventually(all_dead_lettered, TIMEOUT, f"{expected[consumer]} letters by {consumer}")
        letters = await stream_messages(nats_server.url, f"expo.dlq.{consumer}.>")
        reasons = {
            (letter.headers or {}).get("Nats-Msg-Id", "").split(":", 1)[-1]: letter.headers[
                "expo-reason"
            ]
            for letter in letters
        }
        assert len(letters) == expected[consumer], (consumer, reasons)
        for letter in letters:
            assert letter.metadata.stream == DEAD_LETTER_STREAM
            assert letter.subject == f"expo.dlq.{consumer}.invalid"
            assert letter.headers["expo-consumer"] == consumer
            # The reason names what is wrong: "<field>: why".
            assert re.match(r"^[a-z_.0-9]+: \S", letter.headers["expo-reason"]), letter.headers
        by_subject = [letter.headers["expo-original-subject"] for letter in letters]
        assert by_subject.count(APPROVED) == len(garbage) + 1, (consumer, by_subject)
        reason_of = {name: reasons.get(name, "") for name in garbage}
        assert reason_of["invalid-json"].startswith("body: Invalid JSON"), reason_of
        assert reason_of["not-utf8"].startswith("body: "), reason_of
        assert reason_of["wrong-schema"].startswith(("id: Field required", "edition: Field")), (
            reason_of
        )
        assert reason_of["huge"].startswith("body: Invalid JSON"), reason_of
        assert "type" in reason_of["unknown-type"] and APPROVED in reason_of["unknown-type"]
        assert "type" in reason_of["another-known-type"], reason_of
        kept = next(m for m in letters if m.headers["Nats-Msg-Id"].endswith(":invalid-json"))
        assert kept.data == garbage["invalid-json"]  # the original body is kept
        cut = next(m for m in letters if m.headers["Nats-Msg-Id"].endswith(":huge"))
        assert cut.headers["expo-original-size"] == str(len(huge))  # cut to fit, and said so
        assert huge.startswith(cut.data)

        applied = await replica_ids(svc, REPLICA_TABLE[consumer])
        assert applied == {str(valid.data.achievement_id)}, f"{consumer} applied garbage"

        # A dead letter is counted once the dead-letter stream acknowledged it, and a batch is
        # acked after its commit: both follow what the streams and the replicas show.
        durable = f"{consumer}__{registration}"

        async def counted_and_not_stalled(svc=svc, consumer=consumer, durable=durable) -> bool:
            text = await scrape(svc)
            counted = metric(text, "expo_dead_letters_total", consumer=consumer, reason="invalid")
            info = await js.consumer_info(registration, durable)
            settled = info.num_pending == 0 and info.num_ack_pending == 0
            return settled and counted == float(expected[consumer])

        await eventually(
            counted_and_not_stalled,
            TIMEOUT,
            f"{expected[consumer]} dead letters counted by {consumer}, {durable} not stalled",
        )
    report_figure(
        f"[{databases}] {len(garbage) + 2} garbage messages ({', '.join(garbage)}, no headers) "
        "on the streams: "
        f"dead-lettered with a reason by {', '.join(consumers)}; none applied, none stalled, "
        "the next valid event applied"
    )


FOREIGN_COUNTIES = ("huating", "jingning", "lingtai", "zhuanglang")


def foreign_approvals() -> dict[str, tuple[AchievementApproved, dict[str, str]]]:
    """Approvals valid in every field, each with its headers, that are not this edition's or
    do not come from registration: one county each, so a county's figures show any applied."""
    other_edition = approved("huating").model_copy(update={"edition": "lanzhou-2021"})
    signings_says, from_elsewhere, unsourced = (approved(c) for c in FOREIGN_COUNTIES[1:])
    return {
        # Its own headers agree with it: /expo/lanzhou-2021/registration.
        "other-edition": (other_edition, other_edition.headers()),
        "other-service": (
            signings_says,
            signings_says.headers() | {"ce-source": "/expo/pingliang-2020/signings"},
        ),
        "other-edition-source": (
            from_elsewhere,
            from_elsewhere.headers() | {"ce-source": "/expo/lanzhou-2021/registration"},
        ),
        "no-source": (
            unsourced,
            {k: v for k, v in unsourced.headers().items() if k != "ce-source"},
        ),
    }


@pytest.mark.finding(15)
async def test_an_event_of_another_edition_or_source_is_dead_lettered_and_the_next_applies(
    consumers, nc, nats_server
):
    js = nc.jetstream()
    registration = stream_name("registration")
    foreign = foreign_approvals()
    for event, headers in foreign.values():
        await js.publish(event.subject, event.to_json(), stream=registration, headers=headers)
    valid = approved("kongtong")
    await js.publish(valid.subject, valid.to_json(), stream=registration, headers=valid.headers())

    # Each consumer applies the valid event, which comes after the foreign ones on the stream.
    for consumer, svc in consumers.items():

        async def valid_event_applied(svc=svc, consumer=consumer) -> bool:
            return str(valid.data.achievement_id) in await replica_ids(svc, REPLICA_TABLE[consumer])

        await eventually(valid_event_applied, TIMEOUT, f"{consumer} applied the valid event")
        applied = await replica_ids(svc, REPLICA_TABLE[consumer])
        assert applied == {str(valid.data.achievement_id)}, f"{consumer} applied a foreign event"

    # What people see: no foreign approval in any county's figures, nor among the exhibits.
    committee = token("committee")
    for county in ("kongtong", *FOREIGN_COUNTIES):
        answer = await consumers["reporting"].client.get(
            f"/api/v1/status/{county}", headers=committee
        )
        assert answer.status_code == 200, answer.text
        expected_approved = 1 if county == "kongtong" else 0
        assert answer.json()["achievements"].get("approved", 0) == expected_approved, county
    exhibits = await consumers["exhibitions"].client.get("/api/v1/exhibits", headers=committee)
    assert exhibits.status_code == 200, exhibits.text
    assert [item["achievement_id"] for item in exhibits.json()["items"]] == [
        str(valid.data.achievement_id)
    ]

    name_of = {str(event.id): name for name, (event, _headers) in foreign.items()}
    for consumer, svc in consumers.items():
        letters = await stream_messages(nats_server.url, f"expo.dlq.{consumer}.>")
        by_name = {
            name_of[letter.headers["Nats-Msg-Id"].removeprefix(f"{consumer}:")]: letter
            for letter in letters
        }
        assert len(letters) == len(by_name) == len(foreign), [m.headers for m in letters]
        for letter in letters:
            assert letter.metadata.stream == DEAD_LETTER_STREAM
            assert letter.subject == f"expo.dlq.{consumer}.foreign"
            assert letter.headers["expo-consumer"] == consumer
            assert letter.headers["expo-original-subject"] == APPROVED
        assert {name: letter.headers["expo-reason"] for name, letter in by_name.items()} == {
            "other-edition": "edition: 'lanzhou-2021' is not this service's edition "
            "'pingliang-2020'",
            "other-service": "ce-source: '/expo/pingliang-2020/signings' is not "
            "'/expo/pingliang-2020/registration'",
            "other-edition-source": "ce-source: '/expo/lanzhou-2021/registration' is not "
            "'/expo/pingliang-2020/registration'",
            "no-source": "ce-source: missing, expected '/expo/pingliang-2020/registration'",
        }
        assert by_name["no-source"].data == foreign["no-source"][0].to_json()  # kept as it was

        async def counted(svc=svc, consumer=consumer) -> bool:
            exposition = await scrape(svc)
            return metric(
                exposition, "expo_dead_letters_total", consumer=consumer, reason="foreign"
            ) == float(len(foreign))

        await eventually(
            counted, TIMEOUT, f"{len(foreign)} foreign dead letters counted by {consumer}"
        )
