"""The signings API as the one API contract says: 201 with a Location of what was created,
pages for every list, closed sets for filters, strict times, 404 for unknown records, and
refused moves that name the moves allowed."""

import uuid

import pytest

from tests.signings.flow import API, agreed, events, move, project_body, propose, show, slot
from tests.support import assert_problem, eventually, token

pytestmark = pytest.mark.db

MANAGER = token("group:signing", "signing-leader")


def kinds(found: list[dict]) -> list[str]:
    return [e["type"].removeprefix("expo.signings.") for e in found]


async def test_a_proposal_answers_201_with_its_location_and_a_retry_replays_it(signings):
    headers = token("county:kongtong") | {"Idempotency-Key": "proposal-1"}
    first = await signings.client.post(f"{API}/projects", json=project_body(), headers=headers)
    again = await signings.client.post(f"{API}/projects", json=project_body(), headers=headers)

    assert first.status_code == again.status_code == 201
    project = first.json()
    assert first.headers["location"] == f"{API}/projects/{project['id']}"
    assert again.headers["location"] == first.headers["location"]
    assert again.json() == project and again.headers["idempotent-replayed"] == "true"
    assert project["created_at"].endswith("Z") and project["stage_since"].endswith("Z")
    shown = await signings.client.get(first.headers["location"], headers=token("committee"))
    assert shown.json() == project
    listed = await signings.client.get(f"{API}/projects", headers=token("committee"))
    assert listed.json()["total"] == 1


async def test_a_slot_answers_201_with_itself_and_its_location(signings, nats_server):
    later = await slot(signings, "第二批签约", "2020-08-28T11:00:00+08:00")
    created = await signings.client.post(
        f"{API}/running-order/slots",
        json={"title": "第一批签约", "starts_at": "2020-08-28T10:00:00+08:00"},
        headers=MANAGER | {"Idempotency-Key": "slot-1"},
    )

    assert created.status_code == 201, created.text
    first = created.json()
    assert (first["title"], first["starts_at"]) == ("第一批签约", "2020-08-28T02:00:00Z")
    assert (first["position"], first["status"], first["projects"]) == (1, "planned", [])
    assert created.headers["location"] == f"{API}/running-order/slots/{first['id']}"
    shown = await signings.client.get(created.headers["location"], headers=token("ops"))
    assert shown.status_code == 200 and shown.json() == first
    moved_down = await signings.client.get(
        f"{API}/running-order/slots/{later}", headers=token("county:huating")
    )
    assert moved_down.json()["position"] == 2
    replay = await signings.client.post(
        f"{API}/running-order/slots",
        json={"title": "第一批签约", "starts_at": "2020-08-28T10:00:00+08:00"},
        headers=MANAGER | {"Idempotency-Key": "slot-1"},
    )
    assert replay.status_code == 201 and replay.json() == first
    assert replay.headers["location"] == created.headers["location"]

    async def announced() -> bool:
        return len(await events(nats_server)) == 2

    await eventually(announced, what="one running_order.changed per slot")
    found = await events(nats_server)
    assert kinds(found) == ["running_order.changed"] * 2
    assert [s["slot_id"] for s in found[-1]["data"]["slots"]] == [first["id"], later]


@pytest.mark.parametrize(
    "starts_at",
    [0, 1598580000, "0", "1598580000", "2020-08-28T10:00:00", "2020-08-28", None],
    ids=["zero", "unix-time", "zero-text", "unix-text", "no-offset", "a-day", "null"],
)
async def test_a_slot_time_is_an_iso_string_with_an_offset(signings, nats_server, starts_at):
    answer = await signings.client.post(
        f"{API}/running-order/slots",
        json={"title": "开场", "starts_at": starts_at},
        headers=MANAGER,
    )

    assert_problem(answer, 422, field="starts_at")
    order = await signings.client.get(f"{API}/running-order", headers=MANAGER)
    assert order.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert await events(nats_server) == []


async def test_the_running_order_and_a_projects_log_are_pages(signings):
    ids = [
        await slot(signings, title, f"2020-08-28T{hour}:00:00+08:00")
        for title, hour in (("C", 12), ("A", 10), ("B", 11))
    ]
    pages = [
        (await signings.client.get(f"{API}/running-order?limit=2&offset={o}", headers=MANAGER))
        for o in (0, 2)
    ]
    assert [(p.json()["total"], p.json()["limit"], p.json()["offset"]) for p in pages] == [
        (3, 2, 0),
        (3, 2, 2),
    ]
    in_order = [s for p in pages for s in p.json()["items"]]
    assert [(s["title"], s["position"]) for s in in_order] == [("A", 1), ("B", 2), ("C", 3)]
    reordered = await signings.client.put(
        f"{API}/running-order?limit=1", json={"slot_ids": ids}, headers=MANAGER
    )
    assert reordered.status_code == 200, reordered.text
    assert (reordered.json()["total"], reordered.json()["limit"]) == (3, 1)
    assert [s["title"] for s in reordered.json()["items"]] == ["C"]

    project = await agreed(signings)
    log = await signings.client.get(
        f"{API}/projects/{project['id']}/log?limit=2&offset=1", headers=token("county:kongtong")
    )
    assert (log.json()["total"], log.json()["limit"], log.json()["offset"]) == (3, 2, 1)
    assert [(e["from_stage"], e["to_stage"]) for e in log.json()["items"]] == [
        ("proposed", "negotiating"),
        ("negotiating", "agreed"),
    ]
    assert all(e["at"].endswith("Z") for e in log.json()["items"])
    assert_problem(await signings.client.get(f"{API}/running-order?limit=0"), 401)
    assert_problem(
        await signings.client.get(f"{API}/running-order?limit=201", headers=MANAGER), 422, "limit"
    )


async def test_cancelling_a_closed_project_names_no_allowed_move(signings):
    project = await propose(signings)
    cancel = {"reason": "合作方退出"}
    url = f"{API}/projects/{project['id']}/cancel"
    assert (await signings.client.post(url, json=cancel, headers=MANAGER)).status_code == 200

    again = await signings.client.post(url, json=cancel, headers=MANAGER)

    problem = assert_problem(again, 409, field="stage", rule="transition")
    assert problem["allowed"] == [] and problem["detail"].endswith("allowed: none")
    refused = await move(signings, project, "negotiating")
    assert assert_problem(refused, 409, rule="transition")["allowed"] == []


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/totals?by=region", "by"),
        ("/totals?county=atlantis", "county"),
        ("/totals?stage=done", "stage"),
        ("/projects?county=atlantis", "county"),
        ("/projects?stage=done", "stage"),
        ("/projects?stale_days=0", "stale_days"),
    ],
)
async def test_filters_are_closed_sets(signings, path, field):
    assert_problem(await signings.client.get(API + path, headers=MANAGER), 422, field)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"county": "atlantis"}, "county"),
        ({"title": "   "}, "title"),
        ({"sector": "农\x00业"}, "sector"),
        ({"partner_name": "x" * 201}, "partner_name"),
    ],
)
async def test_a_proposal_with_bad_input_gets_422_and_stores_nothing(
    signings, nats_server, overrides, field
):
    answer = await signings.client.post(
        f"{API}/projects", json=project_body() | overrides, headers=MANAGER
    )
    assert_problem(answer, 422, field)
    assert (await signings.client.get(f"{API}/projects", headers=MANAGER)).json()["total"] == 0
    assert await events(nats_server) == []


async def test_unknown_records_get_404_naming_the_field(signings, nats_server):
    project = await agreed(signings)
    slot_id = await slot(signings, "开场", "2020-08-28T09:30:00+08:00")
    missing = str(uuid.uuid4())
    post, get, put = signings.client.post, signings.client.get, signings.client.put
    answers = {
        "project_id": [
            await get(f"{API}/projects/{missing}", headers=MANAGER),
            await get(f"{API}/projects/{missing}/log", headers=MANAGER),
            await post(
                f"{API}/projects/{missing}/stage", json={"stage": "agreed"}, headers=MANAGER
            ),
            await post(f"{API}/projects/{missing}/cancel", json={"reason": "x"}, headers=MANAGER),
            await post(
                f"{API}/running-order/slots/{slot_id}/projects",
                json={"project_id": missing},
                headers=MANAGER,
            ),
        ],
        "slot_id": [
            await get(f"{API}/running-order/slots/{missing}", headers=MANAGER),
            await post(f"{API}/running-order/slots/{missing}/hold", headers=MANAGER),
            await post(
                f"{API}/running-order/slots/{missing}/projects",
                json={"project_id": project["id"]},
                headers=MANAGER,
            ),
        ],
        "slot_ids": [
            await put(f"{API}/running-order", json={"slot_ids": [missing]}, headers=MANAGER),
        ],
        "achievement_id": [
            await post(
                f"{API}/projects",
                json=project_body(achievement_id=missing),
                headers=MANAGER,
            ),
        ],
    }

    for field, refused in answers.items():
        for answer in refused:
            assert assert_problem(answer, 404, field)["type"] == "/problems/not-found"
    assert (await show(signings, project))["stage"] == "agreed"
    assert (await get(f"{API}/projects", headers=MANAGER)).json()["total"] == 1
    slot_now = (await get(f"{API}/running-order/slots/{slot_id}", headers=MANAGER)).json()
    assert (slot_now["status"], slot_now["projects"]) == ("planned", [])
    # The slot twice is not "every slot once": that is bad input, not an unknown record.
    twice = await put(f"{API}/running-order", json={"slot_ids": [slot_id] * 2}, headers=MANAGER)
    assert_problem(twice, 422, "slot_ids")
