"""Halls and booths over HTTP: who may plan them, the readiness stages one step at a time, safety
inspections that hold a hall back, bulk booths all or nothing, and the events each change emits."""

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import eventually, running_service, service_settings, stream_messages, token

pytestmark = pytest.mark.db

API = "/api/v1"
COMMITTEE = token("committee", "committee-chair")
GROUP = token("group:exhibition", "exhibition-leader")
KONGTONG = token("county:kongtong", "kongtong-clerk")
HUATING = token("county:huating", "huating-clerk")


@pytest.fixture
async def exhibitions(nats_server, databases, tmp_path):
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    async with running_service("exhibitions", settings) as svc:
        yield svc


async def outbox_backlog(svc) -> float | None:
    response = await svc.client.get("/metrics")
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "expo_outbox_backlog":
                return sample.value
    return None


async def events(svc, nats_url: str, kind: str = ">") -> list[dict]:
    """Every exhibitions event of `kind` on the bus, once everything committed is published."""

    async def published():
        return await outbox_backlog(svc) == 0.0

    await eventually(published, what="the exhibitions outbox is empty")
    messages = await stream_messages(nats_url, f"expo.exhibitions.{kind}", settle=0.1)
    return [json.loads(m.data) for m in messages]


def hall_body(code: str, kind: str = "county", county: str | None = "kongtong", **extra) -> dict:
    body = {"code": code, "name": f"{code} 展厅", "kind": kind} | extra
    if county is not None:
        body["county"] = county
    return body


async def create_hall(svc, headers=KONGTONG, **body) -> dict:
    answer = await svc.client.post(f"{API}/halls", json=hall_body(**body), headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def error_fields(answer) -> list[str]:
    return [e["field"] for e in answer.json().get("errors", [])]


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
    listed = await exhibitions.client.get(f"{API}/halls", headers=HUATING)  # every county reads
    assert sorted(h["code"] for h in listed.json()) == ["kongtong-hall", "science-hall"]


async def test_a_county_has_one_hall_only(exhibitions, nats_server):
    await create_hall(exhibitions, code="kongtong-hall")
    second = await exhibitions.client.post(
        f"{API}/halls", json=hall_body("kongtong-hall-2"), headers=COMMITTEE
    )
    assert second.status_code == 409
    assert second.json()["rule"] == "one_hall_per_county"
    assert second.headers["content-type"] == "application/problem+json"
    assert len(await events(exhibitions, nats_server.url, "hall.created")) == 1


async def test_a_hall_code_is_unique(exhibitions, nats_server):
    await create_hall(exhibitions, code="main-hall")
    again = await exhibitions.client.post(
        f"{API}/halls", json=hall_body("main-hall", kind="themed", county=None), headers=GROUP
    )
    assert again.status_code == 409
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
    assert (await exhibitions.client.get(f"{API}/halls", headers=COMMITTEE)).json() == []
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
    ("walk", "wanted"),
    [([], "built"), ([], "ready"), (["designed"], "planned"), (["designed", "built"], "designed")],
    ids=["skip-designed", "straight-to-ready", "back-to-planned", "back-to-designed"],
)
async def test_skipping_or_going_back_a_stage_breaks_stage_order(
    exhibitions, nats_server, walk, wanted
):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    for stage in walk:
        assert (await advance(exhibitions, hall["id"], stage)).status_code == 200
    before = await events(exhibitions, nats_server.url)

    refused = await advance(exhibitions, hall["id"], wanted)
    assert refused.status_code == 409
    assert refused.json()["rule"] == "stage_order"
    shown = await exhibitions.client.get(f"{API}/halls/{hall['id']}", headers=COMMITTEE)
    assert shown.json()["stage"] == (walk[-1] if walk else "planned")
    assert await events(exhibitions, nats_server.url) == before


async def test_an_unknown_stage_is_invalid_input(exhibitions):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    answer = await advance(exhibitions, hall["id"], "painted")
    assert answer.status_code == 422
    assert error_fields(answer) == ["stage"]


async def test_safety_inspected_is_reached_only_by_an_inspection(exhibitions, nats_server):
    hall = await hall_with_exhibits_in_place(exhibitions)
    before = await events(exhibitions, nats_server.url)
    for headers in (KONGTONG, COMMITTEE):
        refused = await advance(exhibitions, hall["id"], "safety_inspected", headers=headers)
        assert refused.status_code == 409
        assert refused.json()["rule"] == "inspection_required"
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

    passed = await inspect(exhibitions, hall["id"], passed=True)
    assert passed.status_code == 200, passed.text
    assert (passed.json()["stage"], passed.json()["inspection_failed"]) == (
        "safety_inspected",
        False,
    )
    ready = await advance(exhibitions, hall["id"], "ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["stage"] == "ready"

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

    log = await exhibitions.client.get(f"{API}/halls/{hall['id']}/log", headers=HUATING)
    assert log.status_code == 200, log.text
    steps = [
        (e["action"], e["from_stage"], e["to_stage"], e["passed"], e["problems"], e["actor"])
        for e in log.json()
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
    assert all(e["at"] for e in log.json())


# --- booths ------------------------------------------------------------------------------------

BOOTHS = [
    {"code": "A1", "area_m2": 9, "power_kw": 2},
    {"code": "A2", "area_m2": 18, "power_kw": 5},
    {"code": "B1", "area_m2": 36.5},
]


async def booths_of(svc, hall_id: str) -> list[dict]:
    listed = await svc.client.get(f"{API}/halls/{hall_id}/booths", headers=COMMITTEE)
    assert listed.status_code == 200, listed.text
    return listed.json()


async def test_booths_are_added_in_bulk_with_one_event_each(exhibitions, nats_server):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    added = await exhibitions.client.post(
        f"{API}/halls/{hall['id']}/booths", json={"booths": BOOTHS}, headers=KONGTONG
    )
    assert added.status_code == 201, added.text
    assert [(b["code"], b["area_m2"], b["power_kw"]) for b in added.json()] == [
        ("A1", 9, 2),
        ("A2", 18, 5),
        ("B1", 36.5, 0),
    ]
    assert all(b["achievement_id"] is None for b in added.json())
    assert [b["code"] for b in await booths_of(exhibitions, hall["id"])] == ["A1", "A2", "B1"]
    shown = await exhibitions.client.get(f"{API}/halls/{hall['id']}", headers=COMMITTEE)
    assert (shown.json()["booths"], shown.json()["booths_assigned"]) == (3, 0)

    created = await events(exhibitions, nats_server.url, "booth.created")
    assert sorted(
        (e["data"]["code"], e["data"]["hall_id"], e["data"]["county"], e["data"]["area_m2"])
        for e in created
    ) == [
        ("A1", hall["id"], "kongtong", 9),
        ("A2", hall["id"], "kongtong", 18),
        ("B1", hall["id"], "kongtong", 36.5),
    ]
    assert {e["data"]["booth_id"] for e in created} == {b["id"] for b in added.json()}


async def test_the_same_booth_code_may_be_used_in_another_hall(exhibitions):
    kongtong = await create_hall(exhibitions, code="kongtong-hall")
    themed = await create_hall(exhibitions, headers=GROUP, code="tech", kind="themed", county=None)
    for hall, headers in ((kongtong, KONGTONG), (themed, GROUP)):
        added = await exhibitions.client.post(
            f"{API}/halls/{hall['id']}/booths", json={"booths": BOOTHS[:1]}, headers=headers
        )
        assert added.status_code == 201, added.text


async def test_a_code_repeated_in_the_request_is_invalid_and_adds_nothing(exhibitions, nats_server):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    body = {"booths": [*BOOTHS, {"code": "A2", "area_m2": 4}]}
    answer = await exhibitions.client.post(
        f"{API}/halls/{hall['id']}/booths", json=body, headers=KONGTONG
    )
    assert answer.status_code == 422, answer.text
    assert error_fields(answer) == ["booths"]
    assert "A2" in answer.json()["detail"]
    assert await booths_of(exhibitions, hall["id"]) == []
    assert await events(exhibitions, nats_server.url, "booth.created") == []


async def test_a_code_the_hall_already_has_is_a_conflict_and_adds_nothing(exhibitions, nats_server):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    first = await exhibitions.client.post(
        f"{API}/halls/{hall['id']}/booths", json={"booths": BOOTHS[:1]}, headers=KONGTONG
    )
    assert first.status_code == 201
    body = {"booths": [{"code": "C1", "area_m2": 12}, {"code": "A1", "area_m2": 12}]}
    answer = await exhibitions.client.post(
        f"{API}/halls/{hall['id']}/booths", json=body, headers=KONGTONG
    )
    assert answer.status_code == 409, answer.text
    assert answer.json()["rule"] == "booth_code_unique"
    assert error_fields(answer) == ["booths"]
    assert [b["code"] for b in await booths_of(exhibitions, hall["id"])] == ["A1"]
    assert len(await events(exhibitions, nats_server.url, "booth.created")) == 1


@pytest.mark.parametrize("area", [0, -4], ids=["zero", "negative"])
async def test_a_booth_without_area_is_invalid_and_the_batch_adds_nothing(
    exhibitions, nats_server, area
):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    body = {"booths": [BOOTHS[0], {"code": "Z9", "area_m2": area}, BOOTHS[1]]}
    answer = await exhibitions.client.post(
        f"{API}/halls/{hall['id']}/booths", json=body, headers=KONGTONG
    )
    assert answer.status_code == 422, answer.text
    assert error_fields(answer) == ["booths.1.area_m2"]
    assert await booths_of(exhibitions, hall["id"]) == []
    assert await events(exhibitions, nats_server.url, "booth.created") == []


async def test_a_county_may_not_add_booths_to_another_countys_hall(exhibitions, nats_server):
    hall = await create_hall(exhibitions, code="kongtong-hall")
    answer = await exhibitions.client.post(
        f"{API}/halls/{hall['id']}/booths", json={"booths": BOOTHS}, headers=HUATING
    )
    assert answer.status_code == 403
    assert await booths_of(exhibitions, hall["id"]) == []
    assert await events(exhibitions, nats_server.url, "booth.created") == []
