"""Reporting's picture of every county, built only from the other services' events."""

from contextlib import AsyncExitStack

import pytest

from tests.exhibitions.flow import Stack, approved_achievement, county_hall, wait_until_known
from tests.support import (
    eventually,
    metric,
    running_service,
    scrape,
    service_settings,
    stream_messages,
    token,
    unit_body,
)

pytestmark = pytest.mark.db
SERVICES = ("registration", "exhibitions", "signings", "publicity", "reporting")


async def drive_kongtong(svc) -> None:
    """Things done in the services, as counties and groups would."""
    stack = Stack(svc["registration"], svc["exhibitions"])
    achievement = await approved_achievement(stack, "kongtong")
    hall = await county_hall(stack, "kongtong")
    await wait_until_known(stack, achievement["id"])
    booth = hall["booth_list"][0]
    assigned = await svc["exhibitions"].client.post(
        f"/api/v1/booths/{booth['id']}/assignment",
        json={"achievement_id": achievement["id"]},
        headers=token("county:kongtong"),
    )
    assert assigned.status_code == 200, assigned.text
    for stage in ("designed", "built"):
        moved = await svc["exhibitions"].client.post(
            f"/api/v1/halls/{hall['id']}/stage",
            json={"stage": stage},
            headers=token("county:kongtong"),
        )
        assert moved.status_code == 200
    project = await svc["signings"].client.post(
        "/api/v1/projects",
        json={
            "title": "数字农业平台",
            "county": "kongtong",
            "local_party": "崆峒区农业局",
            "partner_name": "兰州大学",
            "partner_kind": "college",
            "kind": "platform",
            "sector": "agriculture",
            "amount_cny": 3_000_000,
        },
        headers=token("county:kongtong"),
    )
    assert project.status_code == 201
    for stage in ("negotiating", "agreed"):
        await svc["signings"].client.post(
            f"/api/v1/projects/{project.json()['id']}/stage",
            json={"stage": stage},
            headers=token("county:kongtong"),
        )
    bulletin = await svc["publicity"].client.post(
        "/api/v1/bulletins",
        json={"title": "展厅建成", "body": "崆峒区展厅主体完工。"},
        headers=token("county:kongtong"),
    )
    await svc["publicity"].client.post(
        f"/api/v1/bulletins/{bulletin.json()['id']}/decision",
        json={"adopted": True},
        headers=token("committee"),
    )


EXPECTED_KONGTONG = {
    "units": 1,
    "achievements": {"approved": 1},
    "hall": {"stage": "built", "inspection_failed": False},
    "booths": {"total": 2, "assigned": 1},
    "releases": {},
    "signings": {"agreed": {"count": 1, "amount_cny": 3_000_000}},
    "publicity_published": 0,
    "bulletins": {"received": 1, "adopted": 1},
}


async def settled(reporting) -> None:
    """Until reporting shows everything `drive_kongtong` did."""

    async def caught_up():
        status = (await reporting.get("/api/v1/status/kongtong", headers=token("committee"))).json()
        return {k: status[k] for k in EXPECTED_KONGTONG} == EXPECTED_KONGTONG

    await eventually(caught_up, timeout=20, what="reporting caught up with every service")


async def test_reporting_sees_what_every_service_did(nats_server, databases, tmp_path):
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    async with AsyncExitStack() as stack:
        svc = {
            name: await stack.enter_async_context(running_service(name, settings))
            for name in SERVICES
        }
        await drive_kongtong(svc)
        reporting = svc["reporting"].client

        await settled(reporting)
        status = (
            await reporting.get("/api/v1/status/kongtong", headers=token("county:kongtong"))
        ).json()
        # hall 2/5 * .35 + booths 1/2 * .2 + achievements 1/1 * .25 + signings 1/1 * .2 = 0.69
        assert status["readiness"] == {
            "score": 0.69,
            "rag": "amber",
            "parts": {
                "hall_stage": 0.4,
                "booths_filled": 0.5,
                "achievements_approved": 1.0,
                "signings_agreed": 1.0,
            },
        }
        assert (
            await reporting.get("/api/v1/status/huating", headers=token("county:kongtong"))
        ).status_code == 403

        metrics = await scrape(reporting)
        assert metric(metrics, "expo_achievements", county="kongtong", status="approved") == 1
        assert metric(metrics, "expo_hall_stage", county="kongtong") == 2
        assert metric(metrics, "expo_booths", county="kongtong", state="assigned") == 1
        assert (
            metric(metrics, "expo_signings_amount_cny", county="kongtong", stage="agreed")
            == 3_000_000
        )
        assert metric(metrics, "expo_bulletins", county="kongtong", state="adopted") == 1
        assert metric(metrics, "expo_readiness_score", county="kongtong") == 0.69
        assert metric(metrics, "expo_readiness_rag", county="huating") == 0  # nothing done: red


async def test_a_rebuild_from_the_streams_gives_the_same_picture(nats_server, databases, tmp_path):
    from shared.rebuild import rebuild

    settings = service_settings(nats_server.url, var_dir=tmp_path)
    async with AsyncExitStack() as stack:
        svc = {
            name: await stack.enter_async_context(running_service(name, settings))
            for name in SERVICES
        }
        await drive_kongtong(svc)

        await settled(svc["reporting"].client)
        before = (
            await svc["reporting"].client.get("/api/v1/status", headers=token("committee"))
        ).json()
        metrics_before = await scrape(svc["reporting"])
        await stack.pop_all().aclose()  # every service stops; reporting is rebuilt while stopped

    await rebuild("reporting", settings)
    async with running_service("reporting", settings) as reporting:
        after = (await reporting.client.get("/api/v1/status", headers=token("committee"))).json()
        metrics_after = await scrape(reporting)
    assert after == before
    for name in (
        "expo_achievements",
        "expo_booths",
        "expo_signings_amount_cny",
        "expo_readiness_score",
    ):
        assert metric(metrics_after, name, county="kongtong") == metric(
            metrics_before, name, county="kongtong"
        )


async def test_a_rebuild_only_replays_it_decides_nothing(nats_server, databases, tmp_path):
    """The scheduler would look at half-rebuilt projections: a briefing issued during a rebuild
    would print partial figures, and alerts could be raised on them. It does not run."""
    from shared.migrations import upgrade_async
    from shared.rebuild import rebuild

    settings = service_settings(nats_server.url, var_dir=tmp_path)
    await upgrade_async("reporting", settings.database_url("reporting"))  # never started yet
    async with running_service("registration", settings) as registration:
        registered = await registration.client.post(
            "/api/v1/units", json=unit_body("kongtong"), headers=token("county:kongtong")
        )
        assert registered.status_code == 201

        async def on_the_bus():
            return len(await stream_messages(nats_server.url, "expo.registration.>")) == 1

        await eventually(on_the_bus, timeout=15, what="the unit's event on the bus")

    await rebuild("reporting", settings)

    assert await stream_messages(nats_server.url, "expo.reporting.>") == []
    async with running_service("reporting", settings) as reporting:
        status = await reporting.client.get("/api/v1/status/kongtong", headers=token("committee"))
        assert status.json()["units"] == 1, status.json()
        # Started for real, the scheduler does its work (here: the day's briefing).
        await eventually(
            lambda: _said_something(nats_server.url), timeout=15, what="the scheduler speaks"
        )


async def _said_something(nats_url: str) -> bool:
    return len(await stream_messages(nats_url, "expo.reporting.>")) > 0
