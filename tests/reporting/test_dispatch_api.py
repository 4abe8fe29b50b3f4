"""The dispatch API keeps the one API contract: lists are pages, filters and codes are checked
(404 for the path's own resource, 422 for a filter or a body field), times are ISO 8601
strings with an offset in and UTC `Z` out, and creations answer 201 with a Location."""

import pytest

from tests.reporting.rehearsal import COMMITTEE, at, before_the_dispatch, move_clock, task_body
from tests.support import token

pytestmark = pytest.mark.db
EXHIBITION = token("group:exhibition")
KONGTONG = token("county:kongtong")
REPORT = {"done": "展厅方案完成", "next": "布展", "rag": "green"}


@pytest.fixture
async def reporting(nats_server, databases, tmp_path):
    async with before_the_dispatch(nats_server.url, tmp_path) as svc:
        yield svc


def refused(answer, status: int, field: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in answer.json()["errors"]], answer.text


async def test_tasks_and_their_updates_are_pages_filtered_by_known_values(reporting):
    client = reporting.client
    for n, deadline in enumerate(["2020-07-25T18:00", "2020-07-18T12:00", "2020-07-30T09:00"]):
        created = await client.post(
            "/api/v1/tasks", json=task_body(deadline=deadline, title=f"任务{n}"), headers=EXHIBITION
        )
        assert created.status_code == 201, created.text
    await client.post(
        "/api/v1/tasks", json=task_body("publicity"), headers=token("group:publicity")
    )
    await move_clock(reporting, "2020-07-20T09:00")  # the task due on 07-18 is late now

    first = (await client.get("/api/v1/tasks?group=exhibition&limit=2", headers=COMMITTEE)).json()
    assert (first["total"], first["limit"], first["offset"]) == (3, 2, 0)
    assert [t["title"] for t in first["items"]] == ["任务1", "任务0"]  # by deadline
    rest = (await client.get("/api/v1/tasks?group=exhibition&offset=2", headers=COMMITTEE)).json()
    assert [t["title"] for t in rest["items"]] == ["任务2"] and rest["total"] == 3
    late = (await client.get("/api/v1/tasks?overdue=true", headers=COMMITTEE)).json()
    assert [t["title"] for t in late["items"]] == ["任务1"] and late["total"] == 1
    on_time = (await client.get("/api/v1/tasks?overdue=false", headers=COMMITTEE)).json()
    assert on_time["total"] == 3 and all(not t["overdue"] for t in on_time["items"])

    refused(await client.get("/api/v1/tasks?group=atlantis", headers=COMMITTEE), 422, "group")
    for vague in ("yes", "1", "True", "on"):
        answer = await client.get(f"/api/v1/tasks?overdue={vague}", headers=COMMITTEE)
        refused(answer, 422, "overdue")
    refused(await client.get("/api/v1/tasks?limit=0", headers=COMMITTEE), 422, "limit")

    task = first["items"][1]
    for progress in (20, 60):
        updated = await client.post(
            f"/api/v1/tasks/{task['id']}/updates",
            json={"status": "in_progress", "progress": progress, "note": f"{progress}%"},
            headers=EXHIBITION,
        )
        # An update changes the task: 200 with the task as it now is, no Location.
        assert updated.status_code == 200 and "location" not in updated.headers
        assert updated.json()["progress"] == progress
    history = await client.get(f"/api/v1/tasks/{task['id']}/updates?limit=1", headers=COMMITTEE)
    assert history.json()["total"] == 2 and history.json()["limit"] == 1
    [oldest] = history.json()["items"]
    assert oldest["progress"] == 20 and oldest["at"].endswith("Z")
    shown = await client.get(f"/api/v1/tasks/{task['id']}", headers=token("ops"))
    assert shown.status_code == 200 and shown.json()["progress"] == 60
    missing = "00000000-0000-4000-8000-000000000000"
    refused(await client.get(f"/api/v1/tasks/{missing}", headers=COMMITTEE), 404, "task_id")
    refused(await client.get(f"/api/v1/tasks/{missing}/updates", headers=COMMITTEE), 404, "task_id")


async def test_periods_and_the_matrix_are_pages_with_due_times_in_utc(reporting):
    periods = (await reporting.client.get("/api/v1/periods?limit=2", headers=KONGTONG)).json()
    assert periods["limit"] == 2 and periods["total"] > 2
    assert periods["items"][0] == {
        "code": "W2020-07-20",
        "first": "2020-07-20",
        "last": "2020-07-26",
        "due_at": "2020-07-26T10:00:00Z",  # 18:00 in Pingliang
    }
    everything = await reporting.client.get("/api/v1/periods?limit=200", headers=KONGTONG)
    assert everything.json()["items"][-1]["code"] == "D2020-08-28"  # the launch day

    matrix = await reporting.client.get("/api/v1/reports/matrix?limit=5", headers=COMMITTEE)
    assert matrix.json()["total"] == 14 and len(matrix.json()["items"]) == 5
    cell = matrix.json()["items"][0]["cells"][0]
    assert cell["due_at"] == "2020-07-26T10:00:00Z" and cell["standing"] == "pending"
    own = (await reporting.client.get("/api/v1/reports/matrix", headers=KONGTONG)).json()
    assert own["total"] == 1 and own["items"][0]["reporter"] == "county:kongtong"


async def test_unknown_reporters_periods_counties_and_days_are_404_on_the_path(reporting):
    client = reporting.client
    atlantis = await client.get("/api/v1/reports/county:atlantis/W2020-07-20", headers=COMMITTEE)
    refused(atlantis, 404, "reporter")
    refused(
        await client.get("/api/v1/reports/county:kongtong/W2020-07-21", headers=COMMITTEE),
        404,
        "period",
    )
    refused(
        await client.post("/api/v1/reports/W1999-01-04", json=REPORT, headers=KONGTONG),
        404,
        "period",
    )
    refused(await client.get("/api/v1/status/atlantis", headers=COMMITTEE), 404, "county")
    outside = await client.get("/api/v1/briefings/2020-07-01", headers=COMMITTEE)
    refused(outside, 404, "day")
    assert "briefings cover 2020-07-20 to 2020-08-28" in outside.json()["detail"]
    not_issued = await client.get("/api/v1/briefings/2020-07-20", headers=COMMITTEE)
    refused(not_issued, 404, "day")
    refused(await client.get("/api/v1/briefings/1595203200", headers=COMMITTEE), 422, "day")
    # A reporter and a period the edition has, with nothing filed yet: an empty page.
    nothing = await client.get("/api/v1/reports/county:kongtong/W2020-07-20", headers=KONGTONG)
    assert nothing.status_code == 200
    assert nothing.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}


async def test_a_time_is_an_iso_string_with_an_offset_never_a_number(reporting):
    client = reporting.client
    for now in (12345, "0", "12345", "2020-08-20T07:31:00", "2020-08-20"):
        refused(await client.put("/api/v1/clock", json={"now": now}, headers=COMMITTEE), 422, "now")
    clock = (await client.get("/api/v1/clock", headers=COMMITTEE)).json()
    assert clock["today"] == "2020-07-15" and clock["now"].startswith("2020-07-15T01:")
    assert clock["now"].endswith("Z") and clock["time_zone"] == "Asia/Shanghai"

    for deadline in (1597000000, "1597000000", "2020-07-25 18:00"):
        body = task_body() | {"deadline": deadline}
        refused(await client.post("/api/v1/tasks", json=body, headers=EXHIBITION), 422, "deadline")
    assert (await client.get("/api/v1/tasks", headers=COMMITTEE)).json()["total"] == 0
    for day in (20200720, "2020-07-20T07:30:00+08:00", "20200720"):
        answer = await client.post("/api/v1/briefings", json={"day": day}, headers=COMMITTEE)
        refused(answer, 422, "day")
    answer = await client.post(
        "/api/v1/briefings", json={"day": "2020-07-20", "reissue": "yes"}, headers=COMMITTEE
    )
    refused(answer, 422, "reissue")

    task = await client.post("/api/v1/tasks", json=task_body(), headers=EXHIBITION)
    assert task.json()["deadline"] == "2020-07-25T10:00:00Z"
    assert task.json()["updated_at"].endswith("Z")
    moved = await client.put(
        "/api/v1/clock", json={"now": at("2020-07-27T09:00")}, headers=COMMITTEE
    )
    assert moved.json()["now"].startswith("2020-07-27T01:00") and moved.json()["now"].endswith("Z")
    late = (await client.get("/api/v1/overdue", headers=COMMITTEE)).json()
    assert late["now"].endswith("Z") and late["tasks"][0]["overdue_at"].endswith("Z")
    assert {m["due_at"] for m in late["reports"]} == {"2020-07-26T10:00:00Z"}
    progress = {"status": "in_progress", "progress": "50"}  # a number, not a text of one
    answer = await client.post(
        f"/api/v1/tasks/{task.json()['id']}/updates", json=progress, headers=EXHIBITION
    )
    refused(answer, 422, "progress")


async def test_creations_answer_201_with_a_location_and_a_retry_replays(reporting):
    client = reporting.client
    key = {"Idempotency-Key": "task-17"}
    created = await client.post("/api/v1/tasks", json=task_body(), headers=EXHIBITION | key)
    assert created.status_code == 201
    location = created.headers["location"]
    assert location == f"/api/v1/tasks/{created.json()['id']}"
    assert (await client.get(location, headers=COMMITTEE)).json() == created.json()
    again = await client.post("/api/v1/tasks", json=task_body(), headers=EXHIBITION | key)
    assert (again.status_code, again.json()) == (201, created.json())
    assert again.headers["location"] == location and again.headers["idempotent-replayed"] == "true"
    assert (await client.get("/api/v1/tasks", headers=COMMITTEE)).json()["total"] == 1

    await move_clock(reporting, "2020-07-21T10:00")
    filed = await client.post("/api/v1/reports/W2020-07-20", json=REPORT, headers=KONGTONG)
    assert filed.status_code == 201
    assert filed.headers["location"] == "/api/v1/reports/county:kongtong/W2020-07-20"
    submitted_at = filed.json()["submitted_at"]
    assert submitted_at.startswith("2020-07-21T02:00") and submitted_at.endswith("Z")
    versions = (await client.get(filed.headers["location"], headers=KONGTONG)).json()
    assert versions["items"] == [filed.json()]
    early = await client.post("/api/v1/reports/W2020-07-27", json=REPORT, headers=KONGTONG)
    assert early.status_code == 409 and early.json()["rule"] == "period_not_started"


async def test_a_replayed_clock_move_answers_as_the_first_and_moves_nothing(reporting):
    client = reporting.client
    first = {"now": at("2020-07-21T10:00")}
    key = COMMITTEE | {"Idempotency-Key": "rehearse-07-21"}
    moved = await client.put("/api/v1/clock", json=first, headers=key)
    assert moved.status_code == 200 and "idempotent-replayed" not in moved.headers
    await move_clock(reporting, "2020-07-23T10:00")
    replayed = await client.put("/api/v1/clock", json=first, headers=key)
    assert (replayed.status_code, replayed.json()) == (200, moved.json())
    assert replayed.headers["idempotent-replayed"] == "true"
    assert (await client.get("/api/v1/clock", headers=COMMITTEE)).json()["today"] == "2020-07-23"
    other = await client.put("/api/v1/clock", json={"now": at("2020-07-24T10:00")}, headers=key)
    refused(other, 422, "Idempotency-Key")
