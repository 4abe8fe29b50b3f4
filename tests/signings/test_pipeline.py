"""The signing pipeline over HTTP: stages, running order, totals that match the events."""

import itertools
from collections import defaultdict

import pytest

from tests.signings.flow import agreed, events, move, project_body, propose, show, slot
from tests.support import assert_problem, eventually, running_service, service_settings, token

pytestmark = pytest.mark.db


async def test_a_project_goes_from_proposal_to_signature(signings, nats_server):
    project = await agreed(signings, amount=5_000_000)
    assert project["amount_wan"] == "500.00"
    opening = await slot(signings, "第一批签约", "2020-08-28T10:00:00+08:00")
    scheduled = await signings.client.post(
        f"/api/v1/running-order/slots/{opening}/projects",
        json={"project_id": project["id"]},
        headers=token("group:signing"),
    )
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["id"] == opening
    assert [p["id"] for p in scheduled.json()["projects"]] == [project["id"]]
    held = await signings.client.post(
        f"/api/v1/running-order/slots/{opening}/hold", headers=token("committee")
    )
    assert held.status_code == 200
    assert held.json()["id"] == opening and held.json()["status"] == "held"
    assert held.json()["projects"][0]["stage"] == "signed"

    shown = (
        await signings.client.get(
            f"/api/v1/projects/{project['id']}", headers=token("county:kongtong")
        )
    ).json()
    assert shown["stage"] == "signed" and shown["days_in_stage"] == 0
    log = (
        await signings.client.get(
            f"/api/v1/projects/{project['id']}/log", headers=token("county:kongtong")
        )
    ).json()
    assert (log["total"], log["limit"], log["offset"]) == (5, 50, 0)
    assert [e["to_stage"] for e in log["items"]] == [
        "proposed",
        "negotiating",
        "agreed",
        "scheduled",
        "signed",
    ]

    async def all_published():
        return len(await events(nats_server)) == 8

    await eventually(all_published)
    types = [e["type"].removeprefix("expo.signings.") for e in await events(nats_server)]
    assert types == [
        "project.proposed",
        "project.stage_changed",
        "project.stage_changed",
        "running_order.changed",
        "project.scheduled",
        "running_order.changed",
        "project.signed",
        "running_order.changed",
    ]


async def test_totals_match_what_the_events_say(signings, nats_server):
    for county, amount in (("kongtong", 1_000_000), ("kongtong", 2_500_000), ("jingning", 800_000)):
        await agreed(signings, county, amount=amount)
    dropped = await propose(signings, "jingning", amount=9_999_999)
    cancelled = await signings.client.post(
        f"/api/v1/projects/{dropped['id']}/cancel",
        json={"reason": "partner withdrew"},
        headers=token("county:jingning"),
    )
    assert cancelled.status_code == 200

    totals = (await signings.client.get("/api/v1/totals?by=county", headers=token("ops"))).json()
    assert {r["key"]: (r["count"], r["amount_cny"]) for r in totals["rows"]} == {
        "jingning": (1, 800_000),
        "kongtong": (2, 3_500_000),
    }
    assert totals["amount_wan"] == "430.00"

    async def published():
        return len(await events(nats_server)) == 3 * 3 + 2

    await eventually(published)
    latest: dict[str, dict] = {}
    for e in await events(nats_server):
        if e["type"].startswith("expo.signings.project."):
            latest[e["data"]["project_id"]] = e["data"]
    from_events: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for data in latest.values():
        if data["stage"] != "cancelled":
            from_events[data["county"]][0] += 1
            from_events[data["county"]][1] += data["amount_cny"]
    assert {k: tuple(v) for k, v in from_events.items()} == {
        r["key"]: (r["count"], r["amount_cny"]) for r in totals["rows"]
    }


STAGES = ["proposed", "negotiating", "agreed", "scheduled", "signed", "cancelled"]
ALLOWED = {("proposed", "negotiating"), ("negotiating", "agreed"), ("agreed", "negotiating")}


async def reach(svc, stage: str) -> dict:
    project = await propose(svc)
    path = {"proposed": [], "negotiating": ["negotiating"], "agreed": ["negotiating", "agreed"]}
    for step in path.get(stage, ["negotiating", "agreed"]):
        assert (await move(svc, project, step)).status_code == 200
    if stage in ("scheduled", "signed"):
        slot_id = await slot(svc, "签约", "2020-08-28T11:00:00+08:00")
        await svc.client.post(
            f"/api/v1/running-order/slots/{slot_id}/projects",
            json={"project_id": project["id"]},
            headers=token("committee"),
        )
        if stage == "signed":
            await svc.client.post(
                f"/api/v1/running-order/slots/{slot_id}/hold", headers=token("committee")
            )
    if stage == "cancelled":
        await svc.client.post(
            f"/api/v1/projects/{project['id']}/cancel",
            json={"reason": "x"},
            headers=token("committee"),
        )
    shown = (
        await svc.client.get(f"/api/v1/projects/{project['id']}", headers=token("committee"))
    ).json()
    assert shown["stage"] == stage
    return shown


TARGETS = ["negotiating", "agreed"]  # what POST /projects/{id}/stage offers


@pytest.mark.parametrize(("start", "wanted"), list(itertools.product(STAGES, STAGES)))
async def test_manual_moves_are_a_table(signings, start, wanted):
    project = await reach(signings, start)
    answer = await move(signings, project, wanted, reason="the partner asked for changes")
    if (start, wanted) in ALLOWED:
        assert answer.status_code == 200
        assert answer.json()["stage"] == wanted
        return
    if wanted not in TARGETS:  # scheduling, signing and cancelling have their own requests
        problem = assert_problem(answer, 422, field="stage")
        assert "negotiating" in problem["detail"] and "agreed" in problem["detail"]
    else:
        problem = assert_problem(answer, 409, field="stage", rule="transition")
        allowed = sorted(to for (at, to) in ALLOWED if at == start)
        assert problem["allowed"] == allowed
        assert problem["detail"].endswith(f"allowed: {', '.join(allowed) or 'none'}")
    after = await show(signings, project)
    assert (after["stage"], after["version"]) == (start, project["version"])


async def test_moving_back_needs_a_reason(signings):
    project = await agreed(signings)
    answer = await move(signings, project, "negotiating")
    assert answer.status_code == 409 and answer.json()["rule"] == "reason_required"


@pytest.mark.parametrize(
    ("amount", "field"),
    [
        (0, "amount_cny"),
        (-5, "amount_cny"),
        (12.5, "amount_cny"),
        ("1000", "amount_cny"),
        (10**13, "amount_cny"),
    ],
)
async def test_amounts_are_positive_whole_yuan(signings, nats_server, amount, field):
    answer = await signings.client.post(
        "/api/v1/projects", json=project_body(amount=amount), headers=token("committee")
    )
    assert answer.status_code == 422
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert (await signings.client.get("/api/v1/projects", headers=token("committee"))).json()[
        "total"
    ] == 0
    assert await events(nats_server) == []


async def test_only_agreed_projects_are_scheduled_and_slots_never_share_a_time(signings):
    early = await propose(signings)
    slot_id = await slot(signings, "开场", "2020-08-28T09:30:00+08:00")
    refused = await signings.client.post(
        f"/api/v1/running-order/slots/{slot_id}/projects",
        json={"project_id": early["id"]},
        headers=token("committee"),
    )
    assert refused.status_code == 409 and refused.json()["rule"] == "not_agreed"
    clash = await signings.client.post(
        "/api/v1/running-order/slots",
        json={"title": "同时", "starts_at": "2020-08-28T01:30:00Z"},
        headers=token("committee"),
    )
    assert clash.status_code == 409 and clash.json()["rule"] == "slot_time_taken"


async def test_reordering_is_one_request_and_times_stay_in_order(signings):
    a = await slot(signings, "A", "2020-08-28T10:00:00+08:00")
    b = await slot(signings, "B", "2020-08-28T10:15:00+08:00")
    c = await slot(signings, "C", "2020-08-28T10:30:00+08:00")
    answer = await signings.client.put(
        "/api/v1/running-order", json={"slot_ids": [c, a, b]}, headers=token("group:signing")
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["total"], answer.json()["offset"]) == (3, 0)
    order = [(s["title"], s["starts_at"]) for s in answer.json()["items"]]
    assert order == [
        ("C", "2020-08-28T02:00:00Z"),
        ("A", "2020-08-28T02:15:00Z"),
        ("B", "2020-08-28T02:30:00Z"),
    ]
    partial = await signings.client.put(
        "/api/v1/running-order", json={"slot_ids": [c, a]}, headers=token("committee")
    )
    assert partial.status_code == 422 and partial.json()["errors"][0]["field"] == "slot_ids"


async def test_counties_manage_their_own_projects_and_managers_the_running_order(signings):
    project = await propose(signings, "kongtong")
    assert (await move(signings, project, "negotiating", "county:huating")).status_code == 403
    assert (
        await signings.client.get(
            f"/api/v1/projects/{project['id']}", headers=token("county:huating")
        )
    ).status_code == 403
    refused = await signings.client.post(
        "/api/v1/running-order/slots",
        json={"title": "x", "starts_at": "2020-08-28T10:00:00+08:00"},
        headers=token("county:kongtong"),
    )
    assert refused.status_code == 403
    listed = (
        await signings.client.get("/api/v1/projects", headers=token("county:kongtong"))
    ).json()
    assert listed["total"] == 1


async def test_projects_stale_in_their_stage_are_listed(nats_server, databases, tmp_path):
    from datetime import date

    from shared.clock import offset_to

    early = service_settings(
        nats_server.url, var_dir=tmp_path, clock_offset_days=offset_to(date(2020, 8, 1))
    )
    async with running_service("signings", early) as svc:
        waiting = await propose(svc, "lingtai")
        moving = await propose(svc, "lingtai")
    later = service_settings(
        nats_server.url, var_dir=tmp_path, clock_offset_days=offset_to(date(2020, 8, 20))
    )
    async with running_service("signings", later) as svc:
        assert (await move(svc, moving, "negotiating")).status_code == 200  # fresh in its new stage
        stale = (
            await svc.client.get("/api/v1/projects?stale_days=14", headers=token("group:signing"))
        ).json()
        assert [p["id"] for p in stale["items"]] == [waiting["id"]]
        assert stale["items"][0]["days_in_stage"] == 19
