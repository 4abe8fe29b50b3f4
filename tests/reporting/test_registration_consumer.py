"""Reporting's consumer of registration events, against a real nats-server: a redelivered
event counts once (inbox), a malformed one is dead-lettered at once, a failing one is retried
then dead-lettered, and none of that stops the events behind it."""

import json
import uuid

import nats
import pytest

from services.reporting.handlers import registration_events
from shared.events import UnitRegistered, UnitRegisteredData
from shared.events.registration import (
    AchievementApproved,
    AchievementDrafted,
    AchievementSubmitted,
)
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

UNIT_EVENTS = UnitRegistered.TYPE
STREAM = stream_name("registration")
DURABLE = "reporting__EXPO_REGISTRATION"
TIMEOUT = 15.0


def unit_registered(county: str = "kongtong", name: str | None = None) -> UnitRegistered:
    return UnitRegistered(
        edition="pingliang-2020",
        actor="t",
        data=UnitRegisteredData(
            unit_id=uuid.uuid4(),
            county=county,
            name=name or f"单位-{uuid.uuid4().hex[:6]}",
            kind="enterprise",
        ),
    )


@pytest.fixture
async def reporting(nats_server, databases, tmp_path):
    settings = service_settings(nats_server.url, var_dir=tmp_path, consumer_max_deliver=2)
    async with running_service("reporting", settings) as svc:
        yield svc


@pytest.fixture
async def js(nats_server):
    nc = await nats.connect(nats_server.url)
    yield nc.jetstream()
    await nc.close()


async def publish(js, event: UnitRegistered, msg_id: str | None = None) -> None:
    headers = event.headers() | ({"Nats-Msg-Id": msg_id} if msg_id else {})
    await js.publish(event.subject, event.to_json(), stream=STREAM, headers=headers)


async def publish_raw(js, data: bytes, msg_id: str) -> None:
    await js.publish(UNIT_EVENTS, data, stream=STREAM, headers={"Nats-Msg-Id": msg_id})


async def units_metric(svc, county: str) -> float | None:
    return metric(await scrape(svc), "expo_units_registered", county=county)


async def wait_for_units(svc, county: str, expected: int) -> None:
    async def counted():
        return await units_metric(svc, county) == float(expected)

    await eventually(
        counted, timeout=TIMEOUT, what=f'expo_units_registered{{county="{county}"}} {expected}'
    )


async def dead_letters(nats_url: str, kind: str) -> list:
    return await stream_messages(nats_url, f"expo.dlq.reporting.{kind}")


async def dead_letters_counted(svc, reason: str) -> float | None:
    return metric(await scrape(svc), "expo_dead_letters_total", consumer="reporting", reason=reason)


async def wait_until_settled(js) -> None:
    """Until the durable consumer has nothing pending: a batch is acked after its commit, so
    what a count already shows may not be acked yet."""

    async def settled():
        info = await js.consumer_info(STREAM, DURABLE)
        return info.num_ack_pending == 0 and info.num_pending == 0

    await eventually(settled, timeout=TIMEOUT, what="nothing left pending on the durable consumer")


@pytest.mark.parametrize("copy_after_count", [False, True], ids=["back-to-back", "copy-later"])
async def test_the_same_event_delivered_twice_counts_once(
    reporting, js, nats_server, copy_after_count
):
    event = unit_registered("huating")
    await publish(js, event)
    if copy_after_count:  # the copy arrives in a later batch than the original
        await wait_for_units(reporting, "huating", 1)
    await publish(js, event, msg_id="copy-2")  # a different msg id: the server keeps both
    assert len(await stream_messages(nats_server.url, UNIT_EVENTS)) == 2

    async def duplicate_seen():
        text = await scrape(reporting)
        return (
            metric(
                text,
                "expo_events_handled_total",
                consumer="reporting",
                type=UNIT_EVENTS,
                outcome="duplicate",
            )
            == 1.0
        )

    await eventually(duplicate_seen, timeout=TIMEOUT, what="one duplicate handled")
    text = await scrape(reporting)
    assert metric(text, "expo_units_registered", county="huating") == 1.0
    assert (
        metric(
            text,
            "expo_events_handled_total",
            consumer="reporting",
            type=UNIT_EVENTS,
            outcome="processed",
        )
        == 1.0
    )
    status = await reporting.client.get("/api/v1/status/units", headers=token("committee"))
    assert status.status_code == 200
    assert status.json()["huating"] == 1
    assert status.json()["kongtong"] == 0


def _missing_county(event: UnitRegistered) -> bytes:
    body = json.loads(event.to_json())
    del body["data"]["county"]
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("make_body", "reason_prefix"),
    [
        (_missing_county, "data.county: Field required"),
        (lambda _event: b'{"id": "not json', "body: "),
    ],
    ids=["missing-field", "invalid-json"],
)
async def test_a_malformed_message_is_dead_lettered_at_once_and_does_not_block_the_consumer(
    reporting, js, nats_server, make_body, reason_prefix
):
    body = make_body(unit_registered())
    await publish_raw(js, body, msg_id="malformed-1")

    async def dead_lettered():
        return len(await dead_letters(nats_server.url, "invalid")) == 1

    await eventually(
        dead_lettered, timeout=TIMEOUT, what="the malformed message on expo.dlq.reporting.invalid"
    )
    [letter] = await dead_letters(nats_server.url, "invalid")
    assert letter.headers["expo-reason"].startswith(reason_prefix), letter.headers["expo-reason"]
    assert letter.headers["expo-original-subject"] == UNIT_EVENTS
    assert letter.headers["expo-consumer"] == "reporting"
    assert letter.data == body  # the original body is kept
    assert letter.metadata.stream == DEAD_LETTER_STREAM

    valid = unit_registered("jingning")
    await publish(js, valid)
    await wait_for_units(reporting, "jingning", 1)

    text = await scrape(reporting)
    assert metric(text, "expo_dead_letters_total", consumer="reporting", reason="invalid") == 1.0
    assert metric(text, "expo_event_handler_errors_total", consumer="reporting") is None
    # Never retried: the server delivered it once and nothing waits for an ack.
    await wait_until_settled(js)
    info = await js.consumer_info(STREAM, DURABLE)
    assert info.num_redelivered == 0
    assert len(await dead_letters(nats_server.url, "invalid")) == 1


async def test_a_handler_that_keeps_failing_is_retried_then_dead_lettered(
    reporting, js, nats_server, monkeypatch
):
    # Fault injection: the projection cannot take this one event (the others go through).
    event_type, real_handler = registration_events._handlers[UNIT_EVENTS]

    async def flaky_projection(event, uow):  # takes one event at a time, not runs
        if event.data.county == "lingtai":
            raise RuntimeError("projection unavailable for lingtai")
        await real_handler([event], uow)

    monkeypatch.setitem(registration_events._handlers, UNIT_EVENTS, (event_type, flaky_projection))

    poisoned = unit_registered("lingtai")
    neighbour = unit_registered("zhuanglang")
    await publish(js, poisoned)
    await publish(js, neighbour)  # most likely in the same batch: it must not share the fate

    async def dead_lettered():
        return len(await dead_letters(nats_server.url, "failed")) == 1

    await eventually(
        dead_lettered, timeout=TIMEOUT, what="the failing event on expo.dlq.reporting.failed"
    )
    [letter] = await dead_letters(nats_server.url, "failed")
    assert letter.headers["expo-reason"] == "RuntimeError: projection unavailable for lingtai"
    assert letter.headers["expo-original-subject"] == UNIT_EVENTS
    assert json.loads(letter.data)["id"] == str(poisoned.id)

    await wait_for_units(reporting, "zhuanglang", 1)

    # Counted once the dead-letter stream has acknowledged it: a moment after it is there.
    async def counted():
        return await dead_letters_counted(reporting, "failed") == 1.0

    await eventually(counted, timeout=TIMEOUT, what="expo_dead_letters_total{reason=failed} 1")
    text = await scrape(reporting)
    # consumer_max_deliver=2: two attempts, two errors, then the dead-letter stream.
    assert (
        metric(text, "expo_event_handler_errors_total", consumer="reporting", type=UNIT_EVENTS)
        == 2.0
    )
    assert metric(text, "expo_units_registered", county="lingtai") == 0.0

    later = unit_registered("chongxin")
    await publish(js, later)
    await wait_for_units(reporting, "chongxin", 1)
    await wait_until_settled(js)
    assert (
        metric(await scrape(reporting), "expo_event_handler_errors_total", type=UNIT_EVENTS) == 2.0
    )
    assert len(await dead_letters(nats_server.url, "failed")) == 1


def achievement_event(event_type, achievement_id: str, version: int, status: str):
    body = event_type.example()
    body["id"] = str(uuid.uuid4())
    body["data"] |= {"achievement_id": achievement_id, "version": version, "status": status}
    return event_type.model_validate(body)


async def test_a_burst_is_applied_a_batch_at_a_time_keeping_the_newest_version(reporting, js):
    """A batch's registration events are written one table at a time: the counts must still
    add up per county, and of an achievement's versions, out of order, the newest wins."""
    achievement_id = str(uuid.uuid4())
    newest = achievement_event(AchievementApproved, achievement_id, 3, "approved")
    older = [
        achievement_event(AchievementSubmitted, achievement_id, 2, "submitted"),
        achievement_event(AchievementDrafted, achievement_id, 1, "draft"),
    ]
    burst = [unit_registered(county) for county in ["kongtong", "huating", "kongtong"] * 10]
    for event in [*burst[:15], newest, *older, *burst[15:]]:
        await js.publish(event.subject, event.to_json(), stream=STREAM, headers=event.headers())
    await publish(js, burst[0], msg_id=str(uuid.uuid4()))  # the same event again, new msg id

    await wait_for_units(reporting, "kongtong", 20)
    await wait_for_units(reporting, "huating", 10)
    county = newest.data.county

    async def newest_kept():
        status = await reporting.client.get(f"/api/v1/status/{county}", headers=token("committee"))
        return status.json()["achievements"] == {"approved": 1}

    await eventually(newest_kept, timeout=TIMEOUT, what="the approved version is kept")
    # A later event of an older version changes nothing either (the unit behind it shows it
    # was applied).
    stale = achievement_event(AchievementSubmitted, achievement_id, 2, "submitted")
    await js.publish(stale.subject, stale.to_json(), stream=STREAM, headers=stale.headers())
    await publish(js, unit_registered("lingtai"))
    await wait_for_units(reporting, "lingtai", 1)
    assert await newest_kept()


async def test_metrics_name_every_county_with_zero_before_any_event(reporting):
    text = await scrape(reporting)
    counties = sorted(reporting.runtime.edition.county_codes)
    assert "kongtong" in counties and len(counties) >= 7
    assert {c: metric(text, "expo_units_registered", county=c) for c in counties} == dict.fromkeys(
        counties, 0.0
    )
    status = await reporting.client.get("/api/v1/status/units", headers=token("committee"))
    assert status.json() == dict.fromkeys(counties, 0)


async def test_counting_resumes_after_nats_restarts(reporting, nats_server):
    nc = await nats.connect(nats_server.url)
    await publish(nc.jetstream(), unit_registered("jingchuan"))
    await nc.close()
    await wait_for_units(reporting, "jingchuan", 1)

    nats_server.stop(kill=True)
    nats_server.start()  # same port, same store: the durable consumer is still there

    nc = await nats.connect(nats_server.url)
    try:
        await publish(nc.jetstream(), unit_registered("jingchuan"))
        await wait_for_units(reporting, "jingchuan", 2)
    finally:
        await nc.close()
