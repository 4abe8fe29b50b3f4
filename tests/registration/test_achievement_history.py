"""An achievement's history (a page of every change), idempotent retries, and a restart."""

import json

import pytest

from tests.registration.flow import (
    API,
    COMMITTEE,
    KONGTONG,
    REVIEWER,
    attempt,
    bring_to,
    bus,
    create_unit,
    draft,
    events_so_far,
    kind,
    show,
)
from tests.support import assert_problem, running_service, service_settings, token

pytestmark = pytest.mark.db


async def test_history_lists_every_change_with_actor_statuses_reason_and_changes(registration):
    client = registration.client
    unit = await create_unit(client, "kongtong")
    achievement = await draft(client, unit, headers=KONGTONG)
    url = f"{API}/achievements/{achievement['id']}"

    steps = [
        lambda: client.patch(
            url, json={"title": "全膜双垄沟播", "floor_area_m2": 20}, headers=KONGTONG
        ),
        lambda: client.post(f"{url}/submit", headers=KONGTONG),
        lambda: client.post(f"{url}/reject", json={"reason": "材料不全"}, headers=REVIEWER),
        lambda: client.patch(url, json={"summary": "补充了测产报告。"}, headers=KONGTONG),
        lambda: client.post(f"{url}/submit", headers=KONGTONG),
        lambda: client.post(f"{url}/approve", headers=token("committee", "chair-wang")),
    ]
    for step in steps:
        response = await step()
        assert response.status_code == 200, response.text

    history = await client.get(f"{url}/history", headers=KONGTONG)

    assert history.status_code == 200
    page = history.json()
    assert (page["total"], page["limit"], page["offset"]) == (7, 50, 0)
    entries = page["items"]
    assert [
        (e["version"], e["action"], e["from_status"], e["to_status"], e["actor"], e["reason"])
        for e in entries
    ] == [
        (1, "create", None, "draft", "kongtong-clerk", None),
        (2, "edit", "draft", "draft", "kongtong-clerk", None),
        (3, "submit", "draft", "submitted", "kongtong-clerk", None),
        (4, "reject", "submitted", "rejected", "registration-leader", "材料不全"),
        (5, "edit", "rejected", "rejected", "kongtong-clerk", None),
        (6, "submit", "rejected", "submitted", "kongtong-clerk", None),
        (7, "approve", "submitted", "approved", "chair-wang", None),
    ]
    assert entries[1]["changes"] == {
        "title": ["旱作农业全膜双垄沟播技术", "全膜双垄沟播"],
        "floor_area_m2": [12.0, 20.0],
    }
    assert entries[4]["changes"] == {
        "summary": ["在崆峒区推广十万亩，增产两成。", "补充了测产报告。"]
    }
    assert all(e["changes"] is None for i, e in enumerate(entries) if i not in (1, 4))
    times = [e["at"] for e in entries]
    assert all(t.endswith("Z") for t in times) and times == sorted(times)


async def test_history_shows_a_patents_edit_as_lists(registration):
    client = registration.client
    achievement, _kinds = await bring_to(client, "draft")
    url = f"{API}/achievements/{achievement['id']}"
    patents = ["CN201910000001.X", "CN2020"]
    assert (await client.patch(url, json={"patents": patents}, headers=KONGTONG)).status_code == 200

    history = (await client.get(f"{url}/history", headers=KONGTONG)).json()["items"]

    assert history[-1]["changes"] == {"patents": [["CN201910000001.X"], patents]}


async def test_repeating_a_transition_with_the_same_idempotency_key_answers_the_same_once(
    registration, nats_server
):
    client = registration.client
    achievement, kinds = await bring_to(client, "submitted")
    headers = REVIEWER | {"Idempotency-Key": "review-7"}
    url = f"{API}/achievements/{achievement['id']}/approve"

    first = await client.post(url, headers=headers)
    second = await client.post(url, headers=headers)

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.json()["status"] == "approved"
    assert second.headers["idempotent-replayed"] == "true"
    assert (await show(client, achievement["id"]))["version"] == achievement["version"] + 1
    events = await events_so_far(registration, nats_server.url)
    assert [kind(e) for e in events] == [*kinds, "achievement.approved"]
    # Without the key, a second approval is a forbidden transition.
    assert_problem(await client.post(url, headers=REVIEWER), 409, rule="transition")


async def test_a_restart_midway_loses_nothing_and_publishes_each_change_once(
    nats_server, databases, tmp_path
):
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    async with running_service("registration", settings) as svc:
        unit = await create_unit(svc.client, "kongtong", headers=KONGTONG)
        achievement = await draft(svc.client, unit, headers=KONGTONG)
        submitted = await attempt(svc.client, "submit", achievement["id"], KONGTONG)
        assert submitted.status_code == 200
        # Stopped right away: the relay may not have published these yet.

    async with running_service("registration", settings) as svc:
        shown = await show(svc.client, achievement["id"])
        assert (shown["status"], shown["version"]) == ("submitted", 2)
        assert (await attempt(svc.client, "approve", achievement["id"], REVIEWER)).json()[
            "status"
        ] == "approved"
        revised = await svc.client.patch(
            f"{API}/achievements/{achievement['id']}", json={"power_kw": 7}, headers=KONGTONG
        )
        assert revised.status_code == 200 and revised.json()["version"] == 4
        history = await svc.client.get(
            f"{API}/achievements/{achievement['id']}/history", headers=KONGTONG
        )
        assert [e["action"] for e in history.json()["items"]] == [
            "create",
            "submit",
            "approve",
            "edit",
        ]
        events = await events_so_far(svc, nats_server.url)

    assert [kind(e) for e in events] == [
        "unit.registered",
        "achievement.drafted",
        "achievement.submitted",
        "achievement.approved",
        "achievement.revised",
    ]
    assert [e["data"]["version"] for e in events[1:]] == [1, 2, 3, 4]
    everything = [json.loads(m.data) for m in await bus(nats_server.url, settle=0.5)]
    ids = [e["id"] for e in everything]
    assert len(ids) == len(set(ids)) == len(events) + 1  # + the marker unit


async def test_history_comes_in_pages_oldest_first(registration):
    client = registration.client
    achievement, _kinds = await bring_to(client, "approved")  # create, submit, approve
    url = f"{API}/achievements/{achievement['id']}/history"
    revised = await client.patch(
        f"{API}/achievements/{achievement['id']}", json={"title": "修订"}, headers=COMMITTEE
    )
    assert revised.status_code == 200, revised.text
    assert (await attempt(client, "approve", achievement["id"], REVIEWER)).status_code == 200

    pages = [
        (await client.get(f"{url}?limit=2&offset={offset}", headers=KONGTONG)).json()
        for offset in (0, 2, 4)
    ]

    assert [(p["total"], p["limit"], p["offset"]) for p in pages] == [
        (5, 2, 0),
        (5, 2, 2),
        (5, 2, 4),
    ]
    versions = [e["version"] for p in pages for e in p["items"]]
    assert versions == [1, 2, 3, 4, 5]
    for bad in ("limit=0", "limit=201", "offset=-1"):
        assert_problem(await client.get(f"{url}?{bad}", headers=KONGTONG), 422)
