"""Achievement release sessions (成果发布) over HTTP: approved achievements only, never two
sessions at once in one venue, scheduled → held | cancelled, a county for its own units only,
and an event for every change."""

import asyncio
import json
from datetime import datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.exhibitions.flow import (
    achievement_body,
    approved_achievement,
    registration_and_exhibitions,
    wait_until_known,
)
from tests.support import eventually, scrape, stream_messages, token

pytestmark = pytest.mark.db

API = "/api/v1"
COMMITTEE = token("committee", "committee-chair")
GROUP = token("group:exhibition", "exhibition-leader")
KONGTONG = token("county:kongtong", "kongtong-clerk")
HUATING = token("county:huating", "huating-clerk")
VENUE = "平凉市科技馆报告厅"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
async def stack(nats_server, databases, tmp_path):
    async with registration_and_exhibitions(nats_server.url, tmp_path) as stack:
        yield stack


@pytest.fixture
async def approved(stack) -> dict:
    """An approved kongtong achievement, its presenting unit known to exhibitions."""
    achievement = await approved_achievement(stack, "kongtong")
    await wait_until_known(stack, achievement["id"])
    return achievement


async def events(stack, nats_url: str, kind: str = ">") -> list[dict]:
    """Every exhibitions event of `kind` on the bus, once everything committed is published."""

    async def published():
        text = await scrape(stack.exhibitions)
        return any(
            s.name == "expo_outbox_backlog" and s.value == 0
            for f in text_string_to_metric_families(text)
            for s in f.samples
        )

    await eventually(published, what="the exhibitions outbox is empty")
    messages = await stream_messages(nats_url, f"expo.exhibitions.{kind}", settle=0.1)
    return [json.loads(m.data) for m in messages]


def at(hhmm: str, day: str = "2020-08-28", offset: str = "+08:00") -> str:
    return f"{day}T{hhmm}:00{offset}"


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def session(achievement: dict, start: str, end: str, venue: str = VENUE, **overrides) -> dict:
    return {
        "title": "旱作农业节水技术发布会",
        "venue": venue,
        "starts_at": start,
        "ends_at": end,
        "presenting_unit_id": achievement["unit"]["id"],
        "achievement_ids": [achievement["id"]],
    } | overrides


async def schedule(stack, body: dict, headers=KONGTONG):
    return await stack.exhibitions.client.post(f"{API}/releases", json=body, headers=headers)


async def scheduled(stack, body: dict, headers=KONGTONG) -> dict:
    answer = await schedule(stack, body, headers)
    assert answer.status_code == 201, answer.text
    assert answer.headers["Location"] == f"{API}/releases/{answer.json()['id']}"
    return answer.json()


async def listed(stack, **params) -> list[dict]:
    answer = await stack.exhibitions.client.get(f"{API}/releases", params=params, headers=GROUP)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def refused_and_unchanged(stack, nats_url, request, status: int) -> dict:
    """Makes the request and checks it was refused with `status`, changing and emitting nothing."""
    before_list = await listed(stack)
    before_events = await events(stack, nats_url)
    answer = await request()
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    after_list = await listed(stack)
    assert after_list == before_list
    assert await events(stack, nats_url) == before_events
    return answer.json()


def fields(problem: dict) -> list[str]:
    return [e["field"] for e in problem.get("errors", [])]


async def test_a_session_is_scheduled_for_approved_achievements_with_an_event(
    stack, nats_server, approved
):
    second = await approved_achievement(stack, "kongtong", title="苹果矮化密植技术")
    await wait_until_known(stack, second["id"])
    body = session(
        approved, at("09:00"), at("10:00"), achievement_ids=[second["id"], approved["id"]]
    )
    release = await scheduled(stack, body)
    assert release["status"] == "scheduled"
    assert release["county"] == "kongtong"
    assert release["presenting_unit_id"] == approved["unit"]["id"]
    assert release["achievement_ids"] == [second["id"], approved["id"]]  # in the order given
    assert release["created_by"] == "kongtong-clerk"

    [event] = await events(stack, nats_server.url, "release.scheduled")
    data = event["data"]
    assert data["release_id"] == release["id"]
    assert (data["venue"], data["county"], data["status"]) == (VENUE, "kongtong", "scheduled")
    assert data["presenting_unit_id"] == approved["unit"]["id"]
    assert data["achievement_ids"] == [second["id"], approved["id"]]
    assert instant(data["starts_at"]) == instant("2020-08-28T01:00:00Z")
    assert instant(data["ends_at"]) == instant("2020-08-28T02:00:00Z")
    assert event["actor"] == "kongtong-clerk"

    shown = await stack.exhibitions.client.get(f"{API}/releases/{release['id']}", headers=HUATING)
    assert shown.status_code == 200
    assert shown.json() == release
    assert shown.json()["achievement_ids"] == [second["id"], approved["id"]]


async def test_times_are_answered_in_utc_whatever_offset_they_were_sent_in(stack, approved):
    release = await scheduled(stack, session(approved, at("09:00"), at("10:30")))
    assert (release["starts_at"], release["ends_at"]) == (
        "2020-08-28T01:00:00Z",
        "2020-08-28T02:30:00Z",
    )
    assert release["created_at"].endswith("Z") and release["updated_at"].endswith("Z")
    shown = await stack.exhibitions.client.get(f"{API}/releases/{release['id']}", headers=GROUP)
    [in_list] = await listed(stack)
    assert shown.json()["starts_at"] == in_list["starts_at"] == "2020-08-28T01:00:00Z"
    held = await stack.exhibitions.client.post(
        f"{API}/releases/{release['id']}/hold", headers=GROUP
    )
    assert held.json()["starts_at"] == "2020-08-28T01:00:00Z"


@pytest.mark.parametrize(
    "starts_at",
    [0, 1598576400, "0", "1598576400", "2020-08-28", "2020-08-28T09:00:00", True, None],
    ids=["zero", "unix-time", "zero-text", "unix-time-text", "a-day", "no-offset", "bool", "null"],
)
async def test_a_time_that_is_not_an_iso_date_time_with_an_offset_is_invalid_input(
    stack, nats_server, approved, starts_at
):
    body = session(approved, at("09:00"), at("10:00")) | {"starts_at": starts_at}
    problem = await refused_and_unchanged(
        stack, nats_server.url, lambda: schedule(stack, body), 422
    )
    assert fields(problem) == ["starts_at"]


async def test_an_achievement_only_submitted_in_registration_is_not_released(
    stack, nats_server, approved
):
    reg = stack.registration.client
    created = await reg.post(
        f"{API}/achievements",
        json=achievement_body(approved["unit"]["id"], title="尚在评审"),
        headers=KONGTONG,
    )
    pending = created.json()
    assert (
        await reg.post(f"{API}/achievements/{pending['id']}/submit", headers=KONGTONG)
    ).status_code == 200
    await wait_until_known(stack, pending["id"], "submitted")

    body = session(
        approved, at("09:00"), at("10:00"), achievement_ids=[approved["id"], pending["id"]]
    )
    problem = await refused_and_unchanged(
        stack, nats_server.url, lambda: schedule(stack, body), 409
    )
    assert problem["rule"] == "not_approved"
    assert fields(problem) == ["achievement_ids"]
    assert f"{pending['id']} (submitted)" in problem["detail"]
    assert approved["id"] not in problem["detail"]


async def test_an_achievement_exhibitions_never_heard_of_is_not_found_naming_achievement_ids(
    stack, nats_server, approved
):
    """The same refusal as when assigning it to a booth: a 404, not a rule."""
    body = session(approved, at("09:00"), at("10:00"), achievement_ids=[approved["id"], UNKNOWN_ID])
    problem = await refused_and_unchanged(
        stack, nats_server.url, lambda: schedule(stack, body), 404
    )
    assert problem["type"] == "/problems/not-found"
    assert fields(problem) == ["achievement_ids"]
    assert UNKNOWN_ID in problem["detail"] and approved["id"] not in problem["detail"]
    assert "rule" not in problem


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (at("09:00"), at("10:00")),
        (at("09:30"), at("09:45")),
        (at("08:00"), at("11:00")),
        (at("08:30"), at("09:01")),
        (at("09:59"), at("10:30")),
        ("2020-08-28T01:30:00Z", "2020-08-28T02:30:00Z"),  # 09:30–10:30 in Pingliang
    ],
    ids=["same", "inside", "around", "over-start", "over-end", "other-offset"],
)
async def test_an_overlapping_session_in_the_same_venue_is_refused(
    stack, nats_server, approved, start, end
):
    await scheduled(stack, session(approved, at("09:00"), at("10:00")))
    problem = await refused_and_unchanged(
        stack, nats_server.url, lambda: schedule(stack, session(approved, start, end)), 409
    )
    assert problem["rule"] == "venue_overlap"
    assert "from 2020-08-28T01:00:00Z to 2020-08-28T02:00:00Z" in problem["detail"]


async def test_touching_sessions_and_other_venues_are_allowed(stack, nats_server, approved):
    await scheduled(stack, session(approved, at("09:00"), at("10:00")))
    await scheduled(stack, session(approved, at("10:00"), at("11:00")))  # starts as one ends
    await scheduled(stack, session(approved, at("08:00"), at("09:00")))  # ends as one starts
    await scheduled(stack, session(approved, at("09:00"), at("10:00"), venue="崆峒区成果展厅"))
    in_venue = await listed(stack, venue=VENUE)
    assert [(instant(r["starts_at"]), instant(r["ends_at"])) for r in in_venue] == [
        (instant(at("08:00")), instant(at("09:00"))),
        (instant(at("09:00")), instant(at("10:00"))),
        (instant(at("10:00")), instant(at("11:00"))),
    ]
    assert len(await events(stack, nats_server.url, "release.scheduled")) == 4
    page = await stack.exhibitions.client.get(
        f"{API}/releases", params={"limit": 2, "offset": 1}, headers=GROUP
    )
    assert {k: v for k, v in page.json().items() if k != "items"} == {
        "total": 4,
        "limit": 2,
        "offset": 1,
    }
    assert page.json()["items"] == (await listed(stack))[1:3]
    for venue in (" ", ""):
        blank = await stack.exhibitions.client.get(
            f"{API}/releases", params={"venue": venue}, headers=GROUP
        )
        assert blank.status_code == 422, blank.text
        assert fields(blank.json()) == ["venue"]


async def test_a_cancelled_session_frees_its_slot_but_a_held_one_does_not(
    stack, nats_server, approved
):
    first = await scheduled(stack, session(approved, at("09:00"), at("10:00")))
    cancelled = await stack.exhibitions.client.post(
        f"{API}/releases/{first['id']}/cancel", json={"reason": "嘉宾行程变更"}, headers=KONGTONG
    )
    assert cancelled.status_code == 200, cancelled.text
    again = await scheduled(stack, session(approved, at("09:00"), at("10:00")))
    held = await stack.exhibitions.client.post(f"{API}/releases/{again['id']}/hold", headers=GROUP)
    assert held.status_code == 200, held.text
    problem = await refused_and_unchanged(
        stack,
        nats_server.url,
        lambda: schedule(stack, session(approved, at("09:30"), at("10:30"))),
        409,
    )
    assert problem["rule"] == "venue_overlap"


@pytest.mark.parametrize(
    ("start", "end"),
    [(at("10:00"), at("09:00")), (at("10:00"), at("10:00"))],
    ids=["before", "equal"],
)
async def test_a_session_that_ends_before_it_starts_is_invalid_naming_ends_at(
    stack, nats_server, approved, start, end
):
    problem = await refused_and_unchanged(
        stack, nats_server.url, lambda: schedule(stack, session(approved, start, end)), 422
    )
    assert fields(problem) == ["ends_at"]


async def test_an_unknown_presenting_unit_is_not_found_naming_it(stack, nats_server, approved):
    body = session(approved, at("09:00"), at("10:00"), presenting_unit_id=UNKNOWN_ID)
    problem = await refused_and_unchanged(
        stack, nats_server.url, lambda: schedule(stack, body, GROUP), 404
    )
    assert problem["type"] == "/problems/not-found"
    assert fields(problem) == ["presenting_unit_id"]


async def test_a_session_is_held_or_cancelled_once_with_events(stack, nats_server, approved):
    held = await scheduled(stack, session(approved, at("09:00"), at("10:00")))
    dropped = await scheduled(stack, session(approved, at("14:00"), at("15:00")))
    client = stack.exhibitions.client

    answer = await client.post(f"{API}/releases/{held['id']}/hold", headers=KONGTONG)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["reason"]) == ("held", None)

    for body in ({}, {"reason": " "}):
        problem = await refused_and_unchanged(
            stack,
            nats_server.url,
            lambda body=body: client.post(
                f"{API}/releases/{dropped['id']}/cancel", json=body, headers=KONGTONG
            ),
            422,
        )
        assert fields(problem) == ["reason"]
    answer = await client.post(
        f"{API}/releases/{dropped['id']}/cancel", json={"reason": "场地检修"}, headers=KONGTONG
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["reason"]) == ("cancelled", "场地检修")

    for release, action, body in (
        (dropped, "hold", None),
        (dropped, "cancel", {"reason": "again"}),
        (held, "cancel", {"reason": "too late"}),
        (held, "hold", None),
    ):
        problem = await refused_and_unchanged(
            stack,
            nats_server.url,
            lambda release=release, action=action, body=body: client.post(
                f"{API}/releases/{release['id']}/{action}", json=body, headers=COMMITTEE
            ),
            409,
        )
        assert (problem["rule"], problem["allowed"]) == ("transition", [])

    [held_event] = await events(stack, nats_server.url, "release.held")
    assert (held_event["data"]["release_id"], held_event["data"]["status"]) == (held["id"], "held")
    [cancelled_event] = await events(stack, nats_server.url, "release.cancelled")
    assert cancelled_event["data"]["release_id"] == dropped["id"]
    assert (cancelled_event["data"]["status"], cancelled_event["data"]["reason"]) == (
        "cancelled",
        "场地检修",
    )


async def test_a_county_manages_only_its_own_units_sessions(stack, nats_server, approved):
    body = session(approved, at("09:00"), at("10:00"))
    await refused_and_unchanged(stack, nats_server.url, lambda: schedule(stack, body, HUATING), 403)

    release = await scheduled(stack, body, GROUP)  # the exhibition group manages all
    assert release["county"] == "kongtong"
    for action, payload in (("hold", None), ("cancel", {"reason": "不是我们的"})):
        await refused_and_unchanged(
            stack,
            nats_server.url,
            lambda action=action, payload=payload: stack.exhibitions.client.post(
                f"{API}/releases/{release['id']}/{action}", json=payload, headers=HUATING
            ),
            403,
        )


async def test_overlapping_sessions_scheduled_at_once_book_the_venue_once(
    stack, nats_server, approved
):
    starts = ["09:00", "09:10", "09:20", "09:30", "09:40"]
    answers = await asyncio.gather(
        *(schedule(stack, session(approved, at(s), at("10:30")), GROUP) for s in starts)
    )
    on_bus = await events(stack, nats_server.url, "release.scheduled")
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201, 409, 409, 409, 409], statuses
    assert {a.json()["rule"] for a in answers if a.status_code == 409} == {"venue_overlap"}
    assert len(await listed(stack)) == 1
    assert len(on_bus) == 1


@pytest.mark.finding(6)
async def test_a_county_may_not_release_another_countys_achievement(stack, nats_server, approved):
    theirs = await approved_achievement(stack, "huating", title="华亭煤炭清洁利用技术")
    await wait_until_known(stack, theirs["id"])
    body = session(approved, at("09:00"), at("10:00"), achievement_ids=[theirs["id"]])
    problem = await refused_and_unchanged(
        stack, nats_server.url, lambda: schedule(stack, body, KONGTONG), 403
    )
    assert fields(problem) == ["achievement_ids"]
    assert theirs["id"] in problem["detail"]

    mixed = body | {"achievement_ids": [approved["id"], theirs["id"]]}
    problem = await refused_and_unchanged(
        stack, nats_server.url, lambda: schedule(stack, mixed, KONGTONG), 403
    )
    assert fields(problem) == ["achievement_ids"]

    # the exhibition group and the committee release any county's achievements
    release = await scheduled(stack, mixed, GROUP)
    assert release["achievement_ids"] == [approved["id"], theirs["id"]]
    assert (
        await scheduled(
            stack,
            session(theirs, at("11:00"), at("12:00"))
            | {"presenting_unit_id": approved["unit"]["id"]},
            COMMITTEE,
        )
    )["county"] == "kongtong"


@pytest.mark.finding(6)
async def test_a_county_may_not_hold_or_cancel_a_session_releasing_another_countys_achievement(
    stack, nats_server, approved
):
    theirs = await approved_achievement(stack, "huating", title="华亭煤炭清洁利用技术")
    await wait_until_known(stack, theirs["id"])
    body = session(approved, at("09:00"), at("10:00"), achievement_ids=[theirs["id"]])
    release = await scheduled(stack, body, GROUP)  # presented by a kongtong unit
    for action, payload in (("hold", None), ("cancel", {"reason": "改期"})):
        problem = await refused_and_unchanged(
            stack,
            nats_server.url,
            lambda action=action, payload=payload: stack.exhibitions.client.post(
                f"{API}/releases/{release['id']}/{action}", json=payload, headers=KONGTONG
            ),
            403,
        )
        assert fields(problem) == ["achievement_ids"]
    held = await stack.exhibitions.client.post(
        f"{API}/releases/{release['id']}/hold", headers=GROUP
    )
    assert held.status_code == 200, held.text
