"""Achievements (科技成果) over HTTP as county offices and reviewers use them.

Each test asserts what a user sees: the HTTP answers, and the events an independent
subscriber finds on `expo.registration.>` (tests/registration/flow.py says how "no event" is
proved).
"""

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.registration.flow import (
    ACTIONS,
    ALLOWED,
    API,
    COMMITTEE,
    CONTACT_PERSON,
    CONTACT_PHONE,
    HUATING,
    KONGTONG,
    REVIEWER,
    STATUSES,
    attempt,
    bring_to,
    bus,
    create_unit,
    draft,
    events_so_far,
    kind,
    show,
)
from tests.support import (
    achievement_body,
    assert_problem,
    running_service,
    service_settings,
    token,
    unit_body,
)

pytestmark = pytest.mark.db

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
    assert drafted.headers["location"] == f"{API}/achievements/{achievement['id']}"
    assert (await client.get(drafted.headers["location"], headers=KONGTONG)).json() == achievement
    assert achievement["created_at"].endswith("Z")
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
        problem = assert_problem(response, 409, field="status", rule="transition")
        allowed = sorted(a for (s, a) in ALLOWED if s == status)
        assert problem["allowed"] == allowed
        assert problem["detail"].endswith(f"allowed: {', '.join(allowed) or 'none'}")
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
