"""Achievements (科技成果) over HTTP as county offices and reviewers use them.

Each test asserts what a user sees: the HTTP answers, and the events an independent
subscriber finds on `expo.registration.>`. "No event" is proved with a marker: after the
refused request the committee registers a unit, and once that unit's event is on the bus
every change accepted before it is there too (the outbox publishes in commit order).
"""

import json
import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from shared.clock import offset_to
from tests.support import (
    achievement_body,
    eventually,
    running_service,
    service_settings,
    stream_messages,
    token,
    unit_body,
)

pytestmark = pytest.mark.db

API = "/api/v1"
EVENTS = "expo.registration.>"
PROBLEM = "application/problem+json"

KONGTONG = token("county:kongtong", "kongtong-clerk")
HUATING = token("county:huating", "huating-clerk")
REVIEWER = token("group:registration", "registration-leader")
COMMITTEE = token("committee", "committee-chair")

CONTACT_PERSON = "李四"
CONTACT_PHONE = "13912345678"

# The review workflow as the issue describes it: (status, action) -> next status and the
# event type the change publishes. Every pair not listed here must be refused.
ALLOWED = {
    ("draft", "edit"): ("draft", "updated"),
    ("draft", "submit"): ("submitted", "submitted"),
    ("draft", "withdraw"): ("withdrawn", "withdrawn"),
    ("submitted", "approve"): ("approved", "approved"),
    ("submitted", "reject"): ("rejected", "rejected"),
    ("submitted", "withdraw"): ("withdrawn", "withdrawn"),
    ("approved", "edit"): ("submitted", "revised"),
    ("approved", "reject"): ("rejected", "rejected"),
    ("approved", "withdraw"): ("withdrawn", "withdrawn"),
    ("rejected", "edit"): ("rejected", "updated"),
    ("rejected", "submit"): ("submitted", "submitted"),
}
STATUSES = ["draft", "submitted", "approved", "rejected", "withdrawn"]
ACTIONS = ["submit", "approve", "reject", "withdraw", "edit"]

# How to bring a fresh draft to each status, and the events that takes.
PATH_TO = {
    "draft": [],
    "submitted": ["submit"],
    "approved": ["submit", "approve"],
    "rejected": ["submit", "reject"],
    "withdrawn": ["withdraw"],
}
EVENT_OF = {
    "submit": "submitted",
    "approve": "approved",
    "reject": "rejected",
    "withdraw": "withdrawn",
}


def kind(event: dict) -> str:
    """`expo.registration.achievement.approved` -> `achievement.approved`."""
    return event["type"].removeprefix("expo.registration.")


# --- fixtures and helpers -------------------------------------------------------------


@pytest.fixture
async def registration(nats_server, databases, tmp_path):
    async with running_service(
        "registration", service_settings(nats_server.url, var_dir=tmp_path)
    ) as svc:
        yield svc


@pytest.fixture
async def frozen_registration(nats_server, databases, tmp_path):
    """The service as seen after the registration freeze (2020-08-20)."""
    settings = service_settings(
        nats_server.url, var_dir=tmp_path, clock_offset_days=offset_to(date(2020, 8, 25))
    )
    async with running_service("registration", settings) as svc:
        yield svc


async def create_unit(client, county="kongtong", headers=None, **overrides) -> dict:
    body = unit_body(
        county, contact_person=CONTACT_PERSON, contact_phone=CONTACT_PHONE, **overrides
    )
    response = await client.post(f"{API}/units", json=body, headers=headers or COMMITTEE)
    assert response.status_code == 201, response.text
    return response.json()


async def draft(client, unit: dict, headers=None, **overrides) -> dict:
    response = await client.post(
        f"{API}/achievements",
        json=achievement_body(unit["id"], **overrides),
        headers=headers or COMMITTEE,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def attempt(client, action: str, achievement_id: str, headers, reason="展位不足"):
    """One request a user can make on an achievement; returns the raw answer."""
    url = f"{API}/achievements/{achievement_id}"
    if action == "read":
        return await client.get(url, headers=headers)
    if action == "history":
        return await client.get(f"{url}/history", headers=headers)
    if action == "edit":
        return await client.patch(
            url, json={"title": f"修订-{uuid.uuid4().hex[:6]}"}, headers=headers
        )
    body = {"reason": reason} if action == "reject" else None
    return await client.post(f"{url}/{action}", json=body, headers=headers)


async def bring_to(client, status: str, headers=None) -> tuple[dict, list[str]]:
    """A new achievement in `status`, driven there over HTTP by the committee.

    Returns it and the event kinds its unit and its changes published, in order."""
    unit = await create_unit(client)
    achievement = await draft(client, unit)
    kinds = ["unit.registered", "achievement.drafted"]
    for action in PATH_TO[status]:
        response = await attempt(client, action, achievement["id"], headers or COMMITTEE)
        assert response.status_code == 200, response.text
        achievement = response.json()
        kinds.append(f"achievement.{EVENT_OF[action]}")
    assert achievement["status"] == status
    return achievement, kinds


async def show(client, achievement_id: str) -> dict:
    response = await client.get(f"{API}/achievements/{achievement_id}", headers=COMMITTEE)
    assert response.status_code == 200, response.text
    return response.json()


async def bus(nats_url: str, settle: float = 0.1) -> list:
    return await stream_messages(nats_url, EVENTS, settle=settle)


async def events_so_far(svc, nats_url: str) -> list[dict]:
    """Every registration event published for the changes accepted so far, in order.

    Registers a marker unit and waits until its event is on the bus; returns the events
    before it, and checks that nothing came after it."""
    marker = await create_unit(svc.client, "city", name=f"marker-{uuid.uuid4().hex[:8]}")
    found: list[dict] = []

    async def marker_arrived():
        found[:] = [json.loads(m.data) for m in await bus(nats_url)]
        return any(e["data"].get("unit_id") == marker["id"] for e in found)

    await eventually(marker_arrived, what="marker unit event on the bus")
    at = next(i for i, e in enumerate(found) if e["data"].get("unit_id") == marker["id"])
    assert found[at + 1 :] == [], "events after the marker"
    return found[:at]


def assert_problem(response, status: int, field: str | None = None, rule: str | None = None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == status
    if field is not None:
        assert field in [e["field"] for e in problem.get("errors", [])], problem
    if rule is not None:
        assert problem.get("rule") == rule, problem
    return problem


# --- the workflow ---------------------------------------------------------------------


async def test_county_drafts_edits_submits_and_reviewers_approve_one_event_per_change(
    registration, nats_server
):
    client = registration.client
    unit = await create_unit(client, "kongtong", headers=KONGTONG, name="平凉市农业科学院")

    drafted = await client.post(
        f"{API}/achievements", json=achievement_body(unit["id"]), headers=KONGTONG
    )
    assert drafted.status_code == 201
    achievement = drafted.json()
    assert achievement["status"] == "draft" and achievement["version"] == 1
    assert achievement["county"] == "kongtong" and achievement["unit_id"] == unit["id"]
    assert achievement["created_by"] == "kongtong-clerk"
    assert achievement["patents"] == ["CN201910000001.X"]
    url = f"{API}/achievements/{achievement['id']}"

    edited = await client.patch(
        url, json={"floor_area_m2": 18, "live_demo": False}, headers=KONGTONG
    )
    assert edited.status_code == 200
    assert edited.json()["status"] == "draft" and edited.json()["version"] == 2
    assert edited.json()["floor_area_m2"] == 18

    submitted = await client.post(f"{url}/submit", headers=KONGTONG)
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted" and submitted.json()["version"] == 3

    approved = await client.post(f"{url}/approve", headers=REVIEWER)
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved" and approved.json()["version"] == 4
    assert approved.json()["updated_by"] == "registration-leader"

    events = await events_so_far(registration, nats_server.url)
    assert [kind(e) for e in events] == [
        "unit.registered",
        "achievement.drafted",
        "achievement.updated",
        "achievement.submitted",
        "achievement.approved",
    ]
    changes = events[1:]
    assert [e["data"]["version"] for e in changes] == [1, 2, 3, 4]
    assert [e["data"]["status"] for e in changes] == ["draft", "draft", "submitted", "approved"]
    assert [e["actor"] for e in changes] == ["kongtong-clerk"] * 3 + ["registration-leader"]
    for event in changes:
        data = event["data"]
        assert event["edition"] == "pingliang-2020"
        assert data["achievement_id"] == achievement["id"]
        assert data["county"] == "kongtong"
        assert data["unit_id"] == unit["id"]
        assert data["unit_name"] == "平凉市农业科学院"
        assert data["title"] == "旱作农业全膜双垄沟播技术"
    assert changes[0]["data"]["display"] == {
        "floor_area_m2": 12.0,
        "power_kw": 3.0,
        "live_demo": True,
    }
    for event in changes[1:]:
        assert event["data"]["display"] == {
            "floor_area_m2": 18.0,
            "power_kw": 3.0,
            "live_demo": False,
        }

    for message in await bus(nats_server.url, settle=0.3):
        text = message.data.decode() + json.dumps(dict(message.headers or {}), ensure_ascii=False)
        assert CONTACT_PERSON not in text and CONTACT_PHONE not in text


async def test_editing_an_approved_achievement_sends_it_back_to_review_as_revised(
    registration, nats_server
):
    client = registration.client
    achievement, kinds = await bring_to(client, "approved")
    url = f"{API}/achievements/{achievement['id']}"

    revised = await client.patch(url, json={"power_kw": 5}, headers=KONGTONG)

    assert revised.status_code == 200
    assert revised.json()["status"] == "submitted"
    assert revised.json()["version"] == achievement["version"] + 1
    events = await events_so_far(registration, nats_server.url)
    assert [kind(e) for e in events] == [*kinds, "achievement.revised"]
    assert events[-1]["data"]["status"] == "submitted"
    assert events[-1]["data"]["display"]["power_kw"] == 5.0
    assert events[-1]["data"]["version"] == achievement["version"] + 1


async def test_a_patch_that_changes_nothing_answers_200_without_new_version_or_event(
    registration, nats_server
):
    client = registration.client
    achievement, kinds = await bring_to(client, "approved")
    same = {
        "title": achievement["title"],
        "floor_area_m2": achievement["floor_area_m2"],
        "patents": achievement["patents"],
        "live_demo": achievement["live_demo"],
    }

    response = await client.patch(
        f"{API}/achievements/{achievement['id']}", json=same, headers=KONGTONG
    )

    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["version"] == achievement["version"]
    assert (await show(client, achievement["id"]))["version"] == achievement["version"]
    assert [kind(e) for e in await events_so_far(registration, nats_server.url)] == kinds


async def test_rejecting_an_approved_achievement_revokes_the_approval(registration, nats_server):
    client = registration.client
    achievement, kinds = await bring_to(client, "approved")

    response = await client.post(
        f"{API}/achievements/{achievement['id']}/reject",
        json={"reason": "展品存在安全隐患"},
        headers=REVIEWER,
    )

    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["reason"] == "展品存在安全隐患"
    shown = await show(client, achievement["id"])
    assert shown["status"] == "rejected" and shown["reason"] == "展品存在安全隐患"
    approved = await client.get(f"{API}/achievements?status=approved", headers=REVIEWER)
    assert approved.status_code == 200
    assert approved.json()["total"] == 0 and approved.json()["items"] == []
    rejected = await client.get(f"{API}/achievements?status=rejected", headers=REVIEWER)
    assert [a["id"] for a in rejected.json()["items"]] == [achievement["id"]]

    events = await events_so_far(registration, nats_server.url)
    assert [kind(e) for e in events] == [*kinds, "achievement.rejected"]
    assert events[-1]["data"]["status"] == "rejected"
    assert events[-1]["data"]["reason"] == "展品存在安全隐患"
    assert events[-1]["actor"] == "registration-leader"


@pytest.mark.parametrize(
    "body",
    [None, {}, {"reason": ""}, {"reason": "   "}],
    ids=["no-body", "missing", "empty", "blank"],
)
async def test_reject_without_a_reason_gets_422_naming_reason_and_changes_nothing(
    registration, nats_server, body
):
    client = registration.client
    achievement, kinds = await bring_to(client, "submitted")

    response = await client.post(
        f"{API}/achievements/{achievement['id']}/reject", json=body, headers=REVIEWER
    )

    problem = assert_problem(response, 422)
    named = {e["field"] for e in problem["errors"]}
    # Without any body FastAPI names the body itself; otherwise the missing reason.
    assert named & ({"body", "reason"} if body is None else {"reason"}), problem
    shown = await show(client, achievement["id"])
    assert (shown["status"], shown["version"]) == ("submitted", achievement["version"])
    assert [kind(e) for e in await events_so_far(registration, nats_server.url)] == kinds


# --- the transition table ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action"),
    [(s, a) for s in STATUSES for a in ACTIONS],
    ids=[f"{s}-{a}" for s in STATUSES for a in ACTIONS],
)
async def test_transition_table(registration, nats_server, status, action):
    client = registration.client
    achievement, kinds = await bring_to(client, status)

    response = await attempt(client, action, achievement["id"], COMMITTEE)

    shown = await show(client, achievement["id"])
    events = await events_so_far(registration, nats_server.url)
    if (status, action) in ALLOWED:
        next_status, event = ALLOWED[(status, action)]
        assert response.status_code == 200, response.text
        assert response.json()["status"] == next_status
        assert response.json()["version"] == achievement["version"] + 1
        assert (shown["status"], shown["version"]) == (next_status, achievement["version"] + 1)
        assert [kind(e) for e in events] == [*kinds, f"achievement.{event}"]
        assert events[-1]["data"]["status"] == next_status
    else:
        assert_problem(response, 409, rule="transition")
        assert (shown["status"], shown["version"]) == (status, achievement["version"])
        assert [kind(e) for e in events] == kinds


# --- who may do what --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "action", "status"),
    [
        ("county:huating", "read", "draft"),
        ("county:huating", "history", "draft"),
        ("county:huating", "edit", "draft"),
        ("county:huating", "submit", "draft"),
        ("county:huating", "withdraw", "submitted"),
        ("county:kongtong", "approve", "submitted"),
        ("county:kongtong", "reject", "submitted"),
        ("group:publicity", "approve", "submitted"),
        ("group:publicity", "reject", "submitted"),
        ("group:publicity", "read", "submitted"),
        ("ops", "approve", "submitted"),
        ("ops", "read", "submitted"),
        ("integrator", "approve", "submitted"),
        ("integrator", "read", "submitted"),
    ],
)
async def test_principals_outside_their_remit_get_403_and_nothing_changes(
    registration, nats_server, role, action, status
):
    client = registration.client
    achievement, kinds = await bring_to(client, status)  # a kongtong achievement

    response = await attempt(client, action, achievement["id"], token(role))

    assert_problem(response, 403)
    shown = await show(client, achievement["id"])
    assert (shown["status"], shown["version"]) == (status, achievement["version"])
    assert [kind(e) for e in await events_so_far(registration, nats_server.url)] == kinds


async def test_the_reviewing_group_reads_every_county_and_approves_but_cannot_draft(
    registration, nats_server
):
    client = registration.client
    kongtong_unit = await create_unit(client, "kongtong")
    huating_unit = await create_unit(client, "huating")
    ours = await draft(client, kongtong_unit, headers=KONGTONG)
    theirs = await draft(client, huating_unit, headers=HUATING)
    await attempt(client, "submit", theirs["id"], HUATING)

    listed = await client.get(f"{API}/achievements", headers=REVIEWER)
    assert listed.status_code == 200
    assert {a["id"] for a in listed.json()["items"]} == {ours["id"], theirs["id"]}
    for achievement in (ours, theirs):
        assert (await attempt(client, "read", achievement["id"], REVIEWER)).status_code == 200
        assert (await attempt(client, "history", achievement["id"], REVIEWER)).status_code == 200
    approved = await attempt(client, "approve", theirs["id"], REVIEWER)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    refused = await client.post(
        f"{API}/achievements", json=achievement_body(kongtong_unit["id"]), headers=REVIEWER
    )
    assert_problem(refused, 403)
    listed = await client.get(f"{API}/achievements", headers=COMMITTEE)
    assert listed.json()["total"] == 2
    assert [kind(e) for e in await events_so_far(registration, nats_server.url)] == [
        "unit.registered",
        "unit.registered",
        "achievement.drafted",
        "achievement.drafted",
        "achievement.submitted",
        "achievement.approved",
    ]


@pytest.mark.parametrize(
    "role", ["county:huating", "group:registration", "group:publicity", "ops", "integrator"]
)
async def test_only_the_units_county_or_the_committee_may_draft_for_it(
    registration, nats_server, role
):
    client = registration.client
    unit = await create_unit(client, "kongtong")

    response = await client.post(
        f"{API}/achievements", json=achievement_body(unit["id"]), headers=token(role)
    )

    assert_problem(response, 403)
    assert (await client.get(f"{API}/achievements", headers=COMMITTEE)).json()["total"] == 0
    assert [kind(e) for e in await events_so_far(registration, nats_server.url)] == [
        "unit.registered"
    ]


async def test_a_county_lists_only_its_own_achievements(registration):
    client = registration.client
    ours = await draft(client, await create_unit(client, "kongtong"))
    await draft(client, await create_unit(client, "huating"))

    listed = await client.get(f"{API}/achievements", headers=KONGTONG)
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()["items"]] == [ours["id"]]
    assert listed.json()["total"] == 1

    own_filter = await client.get(f"{API}/achievements?county=kongtong", headers=KONGTONG)
    assert [a["id"] for a in own_filter.json()["items"]] == [ours["id"]]
    assert_problem(await client.get(f"{API}/achievements?county=huating", headers=KONGTONG), 403)
    for role in ("group:publicity", "ops", "integrator"):
        assert_problem(await client.get(f"{API}/achievements", headers=token(role)), 403)


# --- the registration freeze --------------------------------------------------------------


async def test_after_the_freeze_counties_get_409_and_the_committee_and_reviewers_still_act(
    frozen_registration, nats_server
):
    client = frozen_registration.client
    unit = await create_unit(client, "kongtong")  # the committee still registers units
    drafted = await draft(client, unit)  # ... and achievements
    submitted = await draft(client, unit, title="中药材标准化种植")
    await attempt(client, "submit", submitted["id"], COMMITTEE)
    before = [await show(client, a["id"]) for a in (drafted, submitted)]
    kinds = [
        "unit.registered",
        "achievement.drafted",
        "achievement.drafted",
        "achievement.submitted",
    ]

    refused = {
        "draft": await client.post(
            f"{API}/achievements", json=achievement_body(unit["id"]), headers=KONGTONG
        ),
        "edit": await attempt(client, "edit", drafted["id"], KONGTONG),
        "submit": await attempt(client, "submit", drafted["id"], KONGTONG),
        "withdraw": await attempt(client, "withdraw", submitted["id"], KONGTONG),
        "unit create": await client.post(f"{API}/units", json=unit_body(), headers=KONGTONG),
        "unit update": await client.patch(
            f"{API}/units/{unit['id']}", json={"name": "改名单位"}, headers=KONGTONG
        ),
    }
    for what, response in refused.items():
        problem = assert_problem(response, 409, rule="registration_freeze")
        assert "2020-08-20" in problem["detail"], what
    assert [await show(client, a["id"]) for a in (drafted, submitted)] == before
    assert [kind(e) for e in await events_so_far(frozen_registration, nats_server.url)] == kinds

    # A county can still read its own.
    assert (await attempt(client, "read", drafted["id"], KONGTONG)).status_code == 200
    edited = await attempt(client, "edit", drafted["id"], COMMITTEE)
    assert edited.status_code == 200
    resubmitted = await attempt(client, "submit", drafted["id"], COMMITTEE)
    assert resubmitted.status_code == 200 and resubmitted.json()["status"] == "submitted"
    approved = await attempt(client, "approve", submitted["id"], REVIEWER)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    rejected = await attempt(client, "reject", drafted["id"], REVIEWER)
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"


@pytest.mark.parametrize(
    ("local_day", "expected"),
    [(date(2020, 8, 19), 200), (date(2020, 8, 20), 409)],
    ids=["day-before", "freeze-day"],
)
async def test_the_freeze_starts_on_its_local_day_in_pingliang(
    nats_server, databases, tmp_path, local_day, expected
):
    pingliang_today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    settings = service_settings(
        nats_server.url, var_dir=tmp_path, clock_offset_days=(local_day - pingliang_today).days
    )
    async with running_service("registration", settings) as svc:
        achievement = await draft(svc.client, await create_unit(svc.client, "kongtong"))

        response = await attempt(svc.client, "submit", achievement["id"], KONGTONG)

    assert response.status_code == expected, response.text
    if expected == 409:
        assert response.json()["rule"] == "registration_freeze"


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "成" * 201}, "title"),
        ({"floor_area_m2": -1}, "floor_area_m2"),
        ({"power_kw": -0.5}, "power_kw"),
        ({"field": "astrology"}, "field"),
        ({"maturity": "idea"}, "maturity"),
        ({"summary": "字" * 4001}, "summary"),
        ({"patents": [f"CN2020{i:07d}" for i in range(51)]}, "patents"),
        ({"unit_id": str(uuid.uuid4())}, "unit_id"),
        ({"unit_id": "not-a-uuid"}, "unit_id"),
        ({"booth": "A1"}, "booth"),
    ],
    ids=[
        "empty-title",
        "blank-title",
        "title-201",
        "negative-area",
        "negative-power",
        "unknown-field",
        "maturity-idea",
        "summary-4001",
        "51-patents",
        "unknown-unit",
        "malformed-unit-id",
        "extra-field",
    ],
)
async def test_invalid_achievement_gets_422_naming_the_field_and_leaves_no_trace(
    registration, nats_server, overrides, field
):
    client = registration.client
    unit = await create_unit(client, "kongtong")

    response = await client.post(
        f"{API}/achievements", json=achievement_body(unit["id"]) | overrides, headers=KONGTONG
    )

    assert_problem(response, 422, field=field)
    listed = await client.get(f"{API}/achievements", headers=COMMITTEE)
    assert listed.json()["total"] == 0
    assert [kind(e) for e in await events_so_far(registration, nats_server.url)] == [
        "unit.registered"
    ]


async def test_the_largest_valid_achievement_is_accepted_whole(registration):
    client = registration.client
    unit = await create_unit(client, "kongtong")
    largest = {
        "title": "成" * 200,
        "summary": "字" * 4000,
        "patents": [f"CN2020{i:07d}" for i in range(50)],
        "floor_area_m2": 2000,
        "power_kw": 500,
        "maturity": "research",
        "field": "culture_tourism",
    }

    response = await client.post(
        f"{API}/achievements", json=achievement_body(unit["id"]) | largest, headers=KONGTONG
    )

    assert response.status_code == 201, response.text
    shown = await show(client, response.json()["id"])
    assert {k: shown[k] for k in largest} == largest


async def test_malformed_json_gets_422_naming_the_body_and_leaves_no_trace(
    registration, nats_server
):
    client = registration.client
    await create_unit(client, "kongtong")

    response = await client.post(
        f"{API}/achievements",
        content=b'{"title": "x", ',
        headers=KONGTONG | {"content-type": "application/json"},
    )

    assert_problem(response, 422, field="body")
    assert (await client.get(f"{API}/achievements", headers=COMMITTEE)).json()["total"] == 0
    assert [kind(e) for e in await events_so_far(registration, nats_server.url)] == [
        "unit.registered"
    ]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": None}, "title"),
        ({"floor_area_m2": -3}, "floor_area_m2"),
        ({"maturity": "idea"}, "maturity"),
        ({"summary": "字" * 4001}, "summary"),
        ({"patents": [f"CN2020{i:07d}" for i in range(51)]}, "patents"),
        ({"unit_id": str(uuid.uuid4())}, "unit_id"),
    ],
    ids=[
        "empty-title",
        "null-title",
        "negative-area",
        "maturity-idea",
        "summary-4001",
        "51-patents",
        "moving-to-another-unit",
    ],
)
async def test_invalid_edit_gets_422_naming_the_field_and_changes_nothing(
    registration, nats_server, patch, field
):
    client = registration.client
    achievement, kinds = await bring_to(client, "draft")

    response = await client.patch(
        f"{API}/achievements/{achievement['id']}", json=patch, headers=KONGTONG
    )

    assert_problem(response, 422, field=field)
    assert await show(client, achievement["id"]) == achievement
    assert [kind(e) for e in await events_so_far(registration, nats_server.url)] == kinds


async def test_unknown_achievement_gets_404(registration):
    missing = uuid.uuid4()
    for response in (
        await registration.client.get(f"{API}/achievements/{missing}", headers=COMMITTEE),
        await registration.client.post(f"{API}/achievements/{missing}/submit", headers=COMMITTEE),
    ):
        assert_problem(response, 404)


# --- history, idempotency, restart --------------------------------------------------------


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
    entries = history.json()
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
    assert all(t for t in times) and times == sorted(times)


async def test_history_shows_a_patents_edit_as_lists(registration):
    client = registration.client
    achievement, _kinds = await bring_to(client, "draft")
    url = f"{API}/achievements/{achievement['id']}"
    patents = ["CN201910000001.X", "CN2020"]
    assert (await client.patch(url, json={"patents": patents}, headers=KONGTONG)).status_code == 200

    history = (await client.get(f"{url}/history", headers=KONGTONG)).json()

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
        assert [e["action"] for e in history.json()] == ["create", "submit", "approve", "edit"]
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
