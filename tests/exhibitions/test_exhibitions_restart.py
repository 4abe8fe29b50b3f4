"""Exhibitions stopped and started again while registration keeps working: what happened in
registration meanwhile arrives after the restart, and every exhibitions event reaches the bus
exactly once. A registration event delivered twice changes nothing the second time."""

import json

import nats
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from shared.streams import stream_name
from tests.exhibitions.flow import (
    Stack,
    approved_achievement,
    county_hall,
    registration_and_exhibitions,
    wait_until_known,
)
from tests.support import (
    eventually,
    running_service,
    scrape,
    service_settings,
    stream_messages,
    token,
)

pytestmark = pytest.mark.db

API = "/api/v1"
COMMITTEE = token("committee", "committee-chair")
REVIEWER = token("group:registration", "registration-leader")
KONGTONG = token("county:kongtong", "kongtong-clerk")
BOOTHS = [
    {"code": "A1", "area_m2": 9, "power_kw": 2},
    {"code": "A2", "area_m2": 9, "power_kw": 2},
    {"code": "A3", "area_m2": 9, "power_kw": 2},
]


def metric(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


async def events(svc, nats_url: str, kind: str = ">") -> list[dict]:
    """Every exhibitions event of `kind` on the bus, once everything committed is published."""

    async def published():
        return metric(await scrape(svc), "expo_outbox_backlog") == 0.0

    await eventually(published, what="the exhibitions outbox is empty")
    messages = await stream_messages(nats_url, f"expo.exhibitions.{kind}", settle=0.1)
    return [json.loads(m.data) for m in messages]


async def floor(stack: Stack, hall: dict) -> dict[str, str | None]:
    listed = await stack.exhibitions.client.get(
        f"{API}/halls/{hall['id']}/booths", headers=COMMITTEE
    )
    return {b["code"]: b["achievement_id"] for b in listed.json()["items"]}


async def assign(stack: Stack, hall: dict, code: str, achievement: dict) -> None:
    booth_id = next(b["id"] for b in hall["booth_list"] if b["code"] == code)
    answer = await stack.exhibitions.client.post(
        f"{API}/booths/{booth_id}/assignment",
        json={"achievement_id": achievement["id"]},
        headers=KONGTONG,
    )
    assert answer.status_code == 200, answer.text


async def test_restarting_exhibitions_mid_way_loses_and_duplicates_nothing(
    nats_server, databases, tmp_path
):
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    async with running_service("registration", settings) as registration:
        async with running_service("exhibitions", settings) as exhibitions:
            stack = Stack(registration, exhibitions)
            staying = await approved_achievement(stack, title="留展成果")
            leaving = await approved_achievement(stack, title="将撤回成果")
            for a in (staying, leaving):
                await wait_until_known(stack, a["id"])
            hall = await county_hall(stack, booths=BOOTHS)
            await assign(stack, hall, "A1", staying)
            await assign(stack, hall, "A2", leaving)
            # Stop at once: the last events may not have reached the bus yet.

        # Exhibitions is down; registration goes on.
        down = Stack(registration, None)  # type: ignore[arg-type]
        late = await approved_achievement(down, title="停机期间批准")
        withdrawn = await registration.client.post(
            f"{API}/achievements/{leaving['id']}/withdraw",
            json={"reason": "展品运输受阻"},
            headers=KONGTONG,
        )
        assert withdrawn.status_code == 200, withdrawn.text

        async with running_service("exhibitions", settings) as exhibitions:
            stack = Stack(registration, exhibitions)
            await wait_until_known(stack, late["id"])
            await wait_until_known(stack, leaving["id"], "withdrawn")

            async def a2_freed():
                return (await floor(stack, hall))["A2"] is None

            await eventually(a2_freed, what="A2 freed after the withdrawal made while down")
            await assign(stack, hall, "A3", late)
            assert await floor(stack, hall) == {
                "A1": staying["id"],
                "A2": None,
                "A3": late["id"],
            }
            exhibits = await exhibitions.client.get(f"{API}/exhibits", headers=COMMITTEE)
            assert sorted((e["title"], e["status"]) for e in exhibits.json()["items"]) == [
                ("停机期间批准", "approved"),
                ("将撤回成果", "withdrawn"),
                ("留展成果", "approved"),
            ]

            on_bus = await events(exhibitions, nats_server.url)
            ids = [e["id"] for e in on_bus]
            assert len(ids) == len(set(ids)), "an exhibitions event reached the bus twice"
            outbox = exhibitions.runtime.outbox
            async with exhibitions.runtime.sessions() as session:
                committed = set(await session.scalars(select(outbox.c.event_id)))
            assert set(ids) == committed  # every committed event, and nothing else
            kinds = [e["type"].removeprefix("expo.exhibitions.") for e in on_bus]
            assert sorted(kinds) == sorted(
                ["hall.created"]
                + ["booth.created"] * 3
                + ["booth.assigned"] * 3
                + ["booth.released"]
            )
            [released] = [e for e in on_bus if e["type"].endswith("booth.released")]
            assert released["data"]["reason"] == "achievement_withdrawn"
            assert released["data"]["achievement_id"] == leaving["id"]


async def test_a_registration_event_delivered_twice_changes_nothing_the_second_time(
    nats_server, databases, tmp_path
):
    async with registration_and_exhibitions(nats_server.url, tmp_path) as stack:
        achievement = await approved_achievement(stack)
        await wait_until_known(stack, achievement["id"])
        hall = await county_hall(stack, booths=BOOTHS)
        await assign(stack, hall, "A1", achievement)

        reg = stack.registration.client
        rejected = await reg.post(
            f"{API}/achievements/{achievement['id']}/reject",
            json={"reason": "缺少检测报告"},
            headers=REVIEWER,
        )
        assert rejected.status_code == 200, rejected.text

        async def freed():
            return (await floor(stack, hall))["A1"] is None

        await eventually(freed, what="A1 freed by the rejection")
        # Corrected, approved again and placed again: the old rejection must not free it.
        for action, headers in (("submit", KONGTONG), ("approve", REVIEWER)):
            answer = await reg.post(
                f"{API}/achievements/{achievement['id']}/{action}", headers=headers
            )
            assert answer.status_code == 200, answer.text
        await wait_until_known(stack, achievement["id"], "approved")
        await assign(stack, hall, "A1", achievement)

        [original] = await stream_messages(
            nats_server.url, "expo.registration.achievement.rejected", settle=0.1
        )
        nc = await nats.connect(nats_server.url)
        try:
            await nc.jetstream().publish(
                original.subject,
                original.data,
                stream=stream_name("registration"),
                headers=dict(original.headers) | {"Nats-Msg-Id": "rejected-copy"},
            )
        finally:
            await nc.close()
        assert (
            len(await stream_messages(nats_server.url, "expo.registration.achievement.rejected"))
            == 2
        )

        async def copy_seen():
            return (
                metric(
                    await scrape(stack.exhibitions),
                    "expo_events_handled_total",
                    consumer="exhibitions",
                    type="expo.registration.achievement.rejected",
                    outcome="duplicate",
                )
                == 1.0
            )

        await eventually(copy_seen, what="exhibitions handled the copy as a duplicate")
        assert await floor(stack, hall) == {"A1": achievement["id"], "A2": None, "A3": None}
        await wait_until_known(stack, achievement["id"], "approved")
        released = await events(stack.exhibitions, nats_server.url, "booth.released")
        assert [e["data"]["reason"] for e in released] == ["achievement_rejected"]
        assert len(await events(stack.exhibitions, nats_server.url, "booth.assigned")) == 2
