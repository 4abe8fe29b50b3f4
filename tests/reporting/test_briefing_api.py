"""How the briefing and the status answer: the briefing in the format asked for (each media type
documented), issued with a Location, refused with the rule that stopped it; status typed."""

import pytest

from tests.reporting.rehearsal import COMMITTEE, before_the_dispatch, move_clock
from tests.support import token

pytestmark = pytest.mark.db
COORDINATION = token("group:coordination")


@pytest.fixture
async def reporting(nats_server, databases, tmp_path):
    async with before_the_dispatch(nats_server.url, tmp_path) as svc:
        yield svc


async def test_a_briefing_in_each_format_it_is_asked_for(reporting):
    client = reporting.client
    await move_clock(reporting, "2020-08-20T07:31")  # the morning briefing
    path = "/api/v1/briefings/2020-08-20"
    as_json = await client.get(f"{path}?format=json", headers=COMMITTEE)
    assert as_json.headers["content-type"] == "application/json"
    briefing = as_json.json()
    assert set(briefing) == {"day", "issued_at", "issued_by", "markdown"}
    assert briefing["day"] == "2020-08-20" and briefing["issued_by"] == "system:scheduler"
    assert briefing["issued_at"].startswith("2020-08-19T23:31") and briefing["issued_at"][-1] == "Z"
    markdown = await client.get(path, headers=token("ops"))  # Markdown unless asked otherwise
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert markdown.text == briefing["markdown"] and "距启动仪式还有 **8** 天" in markdown.text
    html = await client.get(f"{path}?format=html", headers=token("group:signing"))
    assert html.headers["content-type"].startswith("text/html")
    assert html.text.startswith("<!doctype html>")
    for unknown in ("pdf", "JSON", ""):
        answer = await client.get(f"{path}?format={unknown}", headers=COMMITTEE)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == "format"


async def test_issuing_a_briefing_answers_201_with_its_location_or_the_rule_that_stopped_it(
    reporting,
):
    client = reporting.client
    await move_clock(reporting, "2020-07-20T06:00")  # the first day, before its briefing time
    key = COORDINATION | {"Idempotency-Key": "briefing-07-20"}
    issued = await client.post("/api/v1/briefings", json={"day": "2020-07-20"}, headers=key)
    assert issued.status_code == 201, issued.text
    assert issued.headers["location"] == "/api/v1/briefings/2020-07-20"
    shown = await client.get(f"{issued.headers['location']}?format=json", headers=COMMITTEE)
    assert shown.json() == issued.json()
    assert issued.json()["issued_by"] == "group:coordination"
    replayed = await client.post("/api/v1/briefings", json={"day": "2020-07-20"}, headers=key)
    assert (replayed.status_code, replayed.json()) == (201, issued.json())
    assert replayed.headers["location"] == issued.headers["location"]
    assert replayed.headers["idempotent-replayed"] == "true"

    again = await client.post("/api/v1/briefings", json={"day": "2020-07-20"}, headers=COMMITTEE)
    assert again.status_code == 409, again.text
    assert again.json()["rule"] == "already_issued"
    assert again.json()["errors"][0]["field"] == "reissue"
    reissued = await client.post(
        "/api/v1/briefings", json={"day": "2020-07-20", "reissue": True}, headers=COMMITTEE
    )
    assert reissued.status_code == 201 and reissued.json()["issued_by"] == "committee"
    outside = await client.post("/api/v1/briefings", json={"day": "2020-07-19"}, headers=COMMITTEE)
    assert outside.status_code == 409 and outside.json()["rule"] == "outside_dispatch"
    # The scheduler finds the day's briefing issued and says nothing more.
    assert (await move_clock(reporting, "2020-07-20T08:00"))["briefings"] == 0


async def test_the_document_says_what_each_answer_is(reporting):
    document = (await reporting.client.get("/openapi.json")).json()
    show = document["paths"]["/api/v1/briefings/{day}"]["get"]
    assert set(show["responses"]["200"]["content"]) == {
        "application/json",
        "text/markdown",
        "text/html",
    }
    [format_] = [p for p in show["parameters"] if p["name"] == "format"]
    enum = document["components"]["schemas"][format_["schema"]["$ref"].rsplit("/", 1)[1]]
    assert enum["enum"] == ["json", "markdown", "html"]
    rules = document["components"]["schemas"]["Problem"]["properties"]["rule"]["enum"]
    assert {"already_issued", "outside_dispatch", "period_not_started"} <= set(rules)
    for path in ("/api/v1/status", "/api/v1/status/{county}", "/api/v1/overdue", "/api/v1/clock"):
        answer = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        assert "$ref" in answer["schema"], path
    [county] = document["paths"]["/api/v1/status/{county}"]["get"]["parameters"]
    assert "kongtong" in county["schema"]["enum"]
    tasks = document["paths"]["/api/v1/tasks"]["get"]["parameters"]
    assert {p["name"] for p in tasks} >= {"group", "overdue", "limit", "offset"}


async def test_status_answers_as_before_typed(reporting):
    everyone = (await reporting.client.get("/api/v1/status", headers=COMMITTEE)).json()
    assert set(everyone) == {"overall", "counties", "rule"}
    assert everyone["overall"]["counties_by_rag"] == {"green": 0, "amber": 0, "red": 8}
    assert everyone["counties"]["kongtong"] == {
        "county": "kongtong",
        "name": "崆峒区",
        "units": 0,
        "achievements": {},
        "hall": {"stage": None, "inspection_failed": False},
        "booths": {"total": 0, "assigned": 0},
        "releases": {},
        "signings": {},
        "publicity_published": 0,
        "bulletins": {"received": 0, "adopted": 0},
        "readiness": everyone["counties"]["kongtong"]["readiness"],
    }
    assert set(everyone["rule"]) == {"weights", "green", "amber"}
    own = (await reporting.client.get("/api/v1/status", headers=token("county:kongtong"))).json()
    assert own == {"counties": {"kongtong": everyone["counties"]["kongtong"]}}
    one = await reporting.client.get("/api/v1/status/kongtong", headers=token("county:kongtong"))
    assert one.json() == everyone["counties"]["kongtong"]
