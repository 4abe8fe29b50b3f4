"""Halls over HTTP: who may plan them, the readiness stages one step at a time (a refusal names
the stage allowed), safety inspections that hold a hall back, the log, and their events."""

import pytest

from tests.exhibitions.flow import (
    API,
    COMMITTEE,
    GROUP,
    KONGTONG,
    create_hall,
    error_fields,
    events,
    hall_body,
    page,
)
from tests.support import running_service, service_settings, token

pytestmark = pytest.mark.db

HUATING = token("county:huating", "huating-clerk")


@pytest.fixture
async def exhibitions(nats_server, databases, tmp_path):
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    async with running_service("exhibitions", settings) as svc:
        yield svc


async def advance(svc, hall_id: str, stage: str, headers=KONGTONG):
    return await svc.client.post(
        f"{API}/halls/{hall_id}/stage", json={"stage": stage}, headers=headers
    )


async def inspect(
    svc, hall_id: str, passed: bool, problems: list[str] | None = None, headers=GROUP
):
    body = {"passed": passed} | ({"problems": problems} if problems is not None else {})
    return await svc.client.post(f"{API}/halls/{hall_id}/inspections", json=body, headers=headers)


async def hall_with_exhibits_in_place(svc) -> dict:
    hall = await create_hall(svc, code="kongtong-hall")
    for stage in ("designed", "built", "exhibits_in_place"):
        moved = await advance(svc, hall["id"], stage)
        assert moved.status_code == 200, moved.text
    return moved.json()


# --- halls -------------------------------------------------------------------------------------


async def test_a_county_hall_and_a_themed_hall_are_created_planned_with_events(
    exhibitions, nats_server
):
    county = await create_hall(exhibitions, code="kongtong-hall")
    themed = await create_hall(
        exhibitions, headers=GROUP, code="science-hall", kind="themed", county=None
    )

    assert (county["kind"], county["county"], county["stage"]) == ("county", "kongtong", "planned")
    assert (themed["kind"], themed["county"], themed["stage"]) == ("themed", None, "planned")
    assert county["created_by"] == "kongtong-clerk" and themed["created_by"] == "exhibition-leader"
    assert county["inspection_failed"] is False and county["booths"] == 0

    created = await events(exhibitions, nats_server.url, "hall.created")
    assert [(e["data"]["hall_id"], e["data"]["kind"], e["data"]["county"]) for e in created] == [
        (county["id"], "county", "kongtong"),
        (themed["id"], "themed", None),
    ]
    assert [e["actor"] for e in created] == ["kongtong-clerk", "exhibition-leader"]
    listed = await page(exhibitions, "/halls", headers=HUATING)  # every county reads
    assert [h["code"] for h in listed["items"]] == ["kongtong-hall", "science-hall"]
    assert (listed["total"], listed["limit"], listed["offset"]) == (2, 50, 0)
    shown = await exhibitions.client.get(f"{API}/halls/{county['id']}", headers=HUATING)
    assert shown.json() == county
    assert county["created_at"].endswith("Z") and county["updated_at"].endswith("Z")


async def test_halls_are_listed_a_page_at_a_time_county_halls_first(exhibitions):
    for county in ("kongtong", "huating", "jingning"):
        await create_hall(exhibitions, headers=COMMITTEE, code=f"{county}-hall", county=county)
    await create_hall(exhibitions, headers=GROUP, code="agri-hall", kind="themed", county=None)
    first = await page(exhibitions, "/halls", limit=3)
    rest = await page(exhibitions, "/halls", limit=3, offset=3)
    assert [h["code"] for h in first["items"] + rest["items"]] == [
        "huating-hall",
        "jingning-hall",
        "kongtong-hall",
        "agri-hall",
    ]
    assert (first["total"], rest["total"], rest["offset"]) == (4, 4, 3)
    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"limit": "ten"}):
        refused = await exhibitions.client.get(f"{API}/halls", params=params, headers=COMMITTEE)
        assert refused.status_code == 422, refused.text
        assert error_fields(refused) == list(params)


async def test_a_county_has_one_hall_only(exhibitions, nats_server):
    await create_hall(exhibitions, code="kongtong-hall")
    second = await exhibitions.client.post(
        f"{API}/halls", json=hall_body("kongtong-hall-2"), headers=COMMITTEE
    )
    assert second.status_code == 409
    assert second.json()["rule"] == "one_hall_per_county"
    assert error_fields(second) == ["county"]
    assert second.headers["content-type"] == "application/problem+json"
    assert len(await events(exhibitions, nats_server.url, "hall.created")) == 1


async def test_a_hall_code_is_unique(exhibitions, nats_server):
    await create_hall(exhibitions, code="main-hall")
    again = await exhibitions.client.post(
        f"{API}/halls", json=hall_body("main-hall", kind="themed", county=None), headers=GROUP
    )
    assert again.status_code == 409
    assert again.json()["rule"] == "hall_code_taken"
    assert error_fields(again) == ["code"]
    assert len(await events(exhibitions, nats_server.url, "hall.created")) == 1


@pytest.mark.parametrize(
    ("kind", "county"),
    [("county", None), ("themed", "kongtong"), ("county", "atlantis")],
    ids=["county-hall-without-county", "themed-hall-with-county", "unknown-county"],
)
async def test_a_hall_with_a_wrong_county_is_invalid_input_naming_county(
    exhibitions, nats_server, kind, county
):
    answer = await exhibitions.client.post(
        f"{API}/halls", json=hall_body("odd-hall", kind=kind, county=county), headers=COMMITTEE
    )
    assert answer.status_code == 422, answer.text
    assert error_fields(answer) == ["county"]
    assert (await page(exhibitions, "/halls"))["items"] == []
    assert await events(exhibitions, nats_server.url) == []


@pytest.mark.parametrize(
    "body",
    [hall_body("huating-hall", county="huating"), hall_body("tech-hall", "themed", None)],
    ids=["another-county-hall", "themed-hall"],
)
async def test_a_county_may_create_only_its_own_hall(exhibitions, nats_server, body):
    answer = await exhibitions.client.post(f"{API}/halls", json=body, headers=KONGTONG)
    assert answer.status_code == 403, answer.text
    assert await events(exhibitions, nats_server.url) == []


async def test_halls_need_a_token_and_unknown_halls_are_not_found(exhibitions):
    anonymous = await exhibitions.client.post(f"{API}/halls", json=hall_body("kongtong-hall"))
    assert anonymous.status_code == 401
    missing = await exhibitions.client.get(
        f"{API}/halls/00000000-0000-4000-8000-000000000000", headers=COMMITTEE
    )
    assert missing.status_code == 404


# --- stages ------------------------------------------------------------------------------------


async def test_a_hall_advances_one_stage_at_a_time_with_an_event_each(exhibitions, nats_server):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    for stage in ("designed", "built", "exhibits_in_place"):
        moved = await advance(exhibitions, hall["id"], stage)
        assert moved.status_code == 200, moved.text
        assert moved.json()["stage"] == stage

    changed = await events(exhibitions, nats_server.url, "hall.stage_changed")
    assert [(e["data"]["from_stage"], e["data"]["stage"]) for e in changed] == [
        ("planned", "designed"),
        ("designed", "built"),
        ("built", "exhibits_in_place"),
    ]
    assert {e["actor"] for e in changed} == {"kongtong-clerk"}


@pytest.mark.parametrize(
    ("walk", "wanted", "allowed"),
    [
        ([], "built", "designed"),
        ([], "ready", "designed"),
        (["designed"], "designed", "built"),
        (["designed", "built"], "designed", "exhibits_in_place"),
    ],
    ids=["skip-designed", "straight-to-ready", "same-again", "back-to-designed"],
)
async def test_skipping_or_going_back_a_stage_breaks_stage_order_naming_the_next_stage(
    exhibitions, nats_server, walk, wanted, allowed
):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    for stage in walk:
        assert (await advance(exhibitions, hall["id"], stage)).status_code == 200
    before = await events(exhibitions, nats_server.url)

    refused = await advance(exhibitions, hall["id"], wanted)
    assert refused.status_code == 409
    assert refused.json()["rule"] == "stage_order"
    assert refused.json()["allowed"] == [allowed]
    assert f"next stage is {allowed}" in refused.json()["detail"]
    assert error_fields(refused) == ["stage"]
    shown = await exhibitions.client.get(f"{API}/halls/{hall['id']}", headers=COMMITTEE)
    assert shown.json()["stage"] == (walk[-1] if walk else "planned")
    assert await events(exhibitions, nats_server.url) == before


@pytest.mark.parametrize("stage", ["painted", "planned", "safety_inspected", 3, None])
async def test_a_stage_the_request_can_never_reach_is_invalid_input(exhibitions, stage):
    """planned is where halls start; safety_inspected only an inspection reaches."""
    hall = await create_hall(exhibitions, code="kongtong-hall")
    answer = await advance(exhibitions, hall["id"], stage)
    assert answer.status_code == 422
    assert error_fields(answer) == ["stage"]


async def test_the_stage_request_offers_only_the_stages_it_can_move_to(exhibitions):
    document = (await exhibitions.client.get("/openapi.json")).json()
    assert document["components"]["schemas"]["StageMove"]["enum"] == [
        "designed",
        "built",
        "exhibits_in_place",
        "ready",
    ]


async def test_safety_inspected_is_reached_only_by_an_inspection(exhibitions, nats_server):
    hall = await hall_with_exhibits_in_place(exhibitions)
    before = await events(exhibitions, nats_server.url)
    for headers in (KONGTONG, COMMITTEE):
        refused = await advance(exhibitions, hall["id"], "safety_inspected", headers=headers)
        assert refused.status_code == 422
        assert error_fields(refused) == ["stage"]
        assert "/inspections" in refused.json()["detail"]
        early = await advance(exhibitions, hall["id"], "ready", headers=headers)
        assert early.status_code == 409
        assert (early.json()["rule"], early.json()["allowed"]) == ("stage_order", [])
        assert "inspection" in early.json()["detail"]
    shown = await exhibitions.client.get(f"{API}/halls/{hall['id']}", headers=COMMITTEE)
    assert shown.json()["stage"] == "exhibits_in_place"
    assert await events(exhibitions, nats_server.url) == before


async def test_a_failed_inspection_holds_the_hall_until_a_passing_one_then_it_gets_ready(
    exhibitions, nats_server
):
    hall = await hall_with_exhibits_in_place(exhibitions)
    problems = ["消防通道被展板堵塞", "配电箱无防护罩"]

    failed = await inspect(exhibitions, hall["id"], passed=False, problems=problems)
    assert failed.status_code == 200, failed.text
    assert (failed.json()["stage"], failed.json()["inspection_failed"]) == (
        "exhibits_in_place",
        True,
    )
    [inspected] = await events(exhibitions, nats_server.url, "hall.inspected")
    assert inspected["data"]["passed"] is False
    assert inspected["data"]["problems"] == problems
    assert inspected["data"]["stage"] == "exhibits_in_place"
    changes_before = len(await events(exhibitions, nats_server.url, "hall.stage_changed"))
    assert changes_before == 3  # planned → … → exhibits_in_place; the failure moved nothing

    held = await advance(exhibitions, hall["id"], "ready")
    assert held.status_code == 409 and held.json()["rule"] == "stage_order"
    assert held.json()["allowed"] == []

    passed = await inspect(exhibitions, hall["id"], passed=True)
    assert passed.status_code == 200, passed.text
    assert (passed.json()["stage"], passed.json()["inspection_failed"]) == (
        "safety_inspected",
        False,
    )
    ready = await advance(exhibitions, hall["id"], "ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["stage"] == "ready"
    beyond = await advance(exhibitions, hall["id"], "ready")
    assert beyond.status_code == 409
    assert (beyond.json()["rule"], beyond.json()["allowed"]) == ("stage_order", [])

    inspections = await events(exhibitions, nats_server.url, "hall.inspected")
    assert [(e["data"]["passed"], e["data"]["problems"]) for e in inspections] == [
        (False, problems),
        (True, []),
    ]
    changes = await events(exhibitions, nats_server.url, "hall.stage_changed")
    assert [(e["data"]["from_stage"], e["data"]["stage"]) for e in changes[3:]] == [
        ("exhibits_in_place", "safety_inspected"),
        ("safety_inspected", "ready"),
    ]


async def test_a_failed_inspection_without_problems_is_invalid_input(exhibitions, nats_server):
    hall = await hall_with_exhibits_in_place(exhibitions)
    before = await events(exhibitions, nats_server.url)
    for problems in (None, []):
        answer = await inspect(exhibitions, hall["id"], passed=False, problems=problems)
        assert answer.status_code == 422, answer.text
        assert error_fields(answer) == ["problems"]
    shown = await exhibitions.client.get(f"{API}/halls/{hall['id']}", headers=COMMITTEE)
    assert shown.json()["inspection_failed"] is False
    assert await events(exhibitions, nats_server.url) == before


async def test_a_hall_is_inspected_only_when_its_exhibits_are_in_place(exhibitions, nats_server):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    early = await inspect(exhibitions, hall["id"], passed=True)
    assert early.status_code == 409
    assert early.json()["rule"] == "inspection_stage"
    assert early.json()["allowed"] == ["designed"]
    assert await events(exhibitions, nats_server.url, "hall.inspected") == []


async def test_a_county_may_not_record_inspections_even_of_its_own_hall(exhibitions, nats_server):
    hall = await hall_with_exhibits_in_place(exhibitions)
    for passed, problems in ((True, None), (False, ["出口标识缺失"])):
        answer = await inspect(exhibitions, hall["id"], passed, problems, headers=KONGTONG)
        assert answer.status_code == 403, answer.text
    shown = await exhibitions.client.get(f"{API}/halls/{hall['id']}", headers=COMMITTEE)
    assert (shown.json()["stage"], shown.json()["inspection_failed"]) == (
        "exhibits_in_place",
        False,
    )
    assert await events(exhibitions, nats_server.url, "hall.inspected") == []


async def test_a_county_may_not_move_another_countys_hall(exhibitions, nats_server):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    answer = await advance(exhibitions, hall["id"], "designed", headers=HUATING)
    assert answer.status_code == 403
    by_group = await advance(exhibitions, hall["id"], "designed", headers=GROUP)
    assert by_group.status_code == 200, by_group.text


async def test_the_hall_log_shows_every_step_with_actor_and_problems(exhibitions):
    hall = await hall_with_exhibits_in_place(exhibitions)
    assert (await inspect(exhibitions, hall["id"], False, ["灭火器过期"])).status_code == 200
    inspector = token("group:exhibition", "inspector-wang")
    assert (await inspect(exhibitions, hall["id"], True, headers=inspector)).status_code == 200
    assert (await advance(exhibitions, hall["id"], "ready", headers=COMMITTEE)).status_code == 200

    log = await page(exhibitions, f"/halls/{hall['id']}/log", headers=HUATING)
    assert log["total"] == 7
    steps = [
        (e["action"], e["from_stage"], e["to_stage"], e["passed"], e["problems"], e["actor"])
        for e in log["items"]
    ]
    assert steps == [
        ("create", None, "planned", None, None, "kongtong-clerk"),
        ("stage", "planned", "designed", None, None, "kongtong-clerk"),
        ("stage", "designed", "built", None, None, "kongtong-clerk"),
        ("stage", "built", "exhibits_in_place", None, None, "kongtong-clerk"),
        (
            "inspection",
            "exhibits_in_place",
            "exhibits_in_place",
            False,
            ["灭火器过期"],
            "exhibition-leader",
        ),
        ("inspection", "exhibits_in_place", "safety_inspected", True, [], "inspector-wang"),
        ("stage", "safety_inspected", "ready", None, None, "committee-chair"),
    ]
    assert all(e["at"].endswith("Z") for e in log["items"])
    middle = await page(exhibitions, f"/halls/{hall['id']}/log", limit=2, offset=4)
    assert middle["items"] == log["items"][4:6]
    assert (middle["total"], middle["limit"], middle["offset"]) == (7, 2, 4)
