"""The daily dispatch, rehearsed with a set clock: overdue tasks, the report matrix, alerts and
escalations said once per level, and the morning briefing."""

from datetime import datetime

import pytest

from tests.reporting.rehearsal import (
    COMMITTEE,
    LOCAL,
    at,
    before_the_dispatch,
    move_clock,
    reporting_events,
)
from tests.support import eventually, scrape, token

pytestmark = pytest.mark.db


@pytest.fixture
async def reporting(nats_server, databases, tmp_path):
    async with before_the_dispatch(nats_server.url, tmp_path) as svc:
        yield svc


def cell(matrix: list[dict], reporter: str, period: str) -> dict:
    row = next(r for r in matrix if r["reporter"] == reporter)
    return next(c for c in row["cells"] if c["period"] == period)


async def test_a_late_task_is_found_on_time_and_said_once(reporting, nats_server):
    created = await reporting.client.post(
        "/api/v1/tasks",
        json={
            "group": "exhibition",
            "title": "展厅布展方案定稿",
            "responsible": "李工",
            "deadline": at("2020-07-25T18:00"),
            "quality_standard": "经组委会审定",
        },
        headers=token("group:exhibition"),
    )
    assert created.status_code == 201, created.text
    assert (await move_clock(reporting, "2020-07-25T17:00"))["tasks_overdue"] == 0
    assert (await move_clock(reporting, "2020-07-25T18:01"))["tasks_overdue"] == 1
    assert (await move_clock(reporting, "2020-07-26T09:00"))["tasks_overdue"] == 0  # said once
    overdue = (await reporting.client.get("/api/v1/tasks?overdue=true", headers=COMMITTEE)).json()
    assert [t["title"] for t in overdue["items"]] == ["展厅布展方案定稿"]

    async def said():
        return len(await reporting_events(nats_server.url, "task.overdue_v2")) == 1

    await eventually(said)
    done = await reporting.client.post(
        f"/api/v1/tasks/{created.json()['id']}/updates",
        json={"status": "done", "progress": 100},
        headers=token("group:exhibition"),
    )
    assert done.json()["overdue"] is False
    refused = await reporting.client.post(
        f"/api/v1/tasks/{created.json()['id']}/updates",
        json={"status": "blocked", "progress": 10},
        headers=token("group:exhibition"),
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "blocked_reason"
    other = await reporting.client.post(
        f"/api/v1/tasks/{created.json()['id']}/updates",
        json={"status": "in_progress", "progress": 10},
        headers=token("group:publicity"),
    )
    assert other.status_code == 403


async def test_reports_on_time_late_missing_and_escalated_one_level_at_a_time(
    reporting, nats_server
):
    week = "W2020-07-20"  # 07-20 .. 07-26, due 07-26 18:00 local
    await move_clock(reporting, "2020-07-26T17:00")
    on_time = await reporting.client.post(
        f"/api/v1/reports/{week}",
        json={
            "done": "方案完成",
            "next": "布展",
            "problems": "展位电力不足，需协调",
            "rag": "amber",
        },
        headers=token("group:coordination"),
    )
    assert on_time.status_code == 201 and on_time.json()["on_time"] is True

    said = await move_clock(reporting, "2020-07-26T19:00")
    reporters = 6 + 8  # working groups and counties of the edition
    assert said["report_alerts"] == reporters - 1  # everyone but the one that filed: overdue

    late = await reporting.client.post(
        f"/api/v1/reports/{week}",
        json={"done": "…", "next": "…", "rag": "green"},
        headers=token("county:kongtong"),
    )
    assert late.json()["on_time"] is False
    correction = await reporting.client.post(
        f"/api/v1/reports/{week}",
        json={"done": "更正", "next": "…", "rag": "green"},
        headers=token("county:kongtong"),
    )
    assert correction.json()["version"] == 2 and correction.json()["on_time"] is False

    assert (await move_clock(reporting, "2020-07-27T18:30"))[
        "report_alerts"
    ] == reporters - 2  # level 2 after 24 h
    assert (await move_clock(reporting, "2020-07-27T19:00"))[
        "report_alerts"
    ] == 0  # each level once
    assert (await move_clock(reporting, "2020-07-29T19:00"))["report_alerts"] == 2 * (
        reporters - 2
    )  # levels 3 and 4

    matrix = (await reporting.client.get("/api/v1/reports/matrix", headers=COMMITTEE)).json()
    matrix = matrix["items"]
    assert cell(matrix, "group:coordination", week)["standing"] == "on_time"
    assert cell(matrix, "county:kongtong", week) | {"due_at": None} == {
        "period": week,
        "due_at": None,
        "standing": "late",
        "versions": 2,
        "rag": "green",
        "escalation_level": 1,
    }
    assert cell(matrix, "county:jingning", week)["standing"] == "missing"
    assert cell(matrix, "county:jingning", week)["escalation_level"] == 4
    assert cell(matrix, "county:jingning", "W2020-07-27")["standing"] == "pending"
    own = (
        await reporting.client.get("/api/v1/reports/matrix", headers=token("county:jingning"))
    ).json()
    assert [r["reporter"] for r in own["items"]] == ["county:jingning"]

    async def all_said():
        escalated = await reporting_events(nats_server.url, "report.escalated")
        return len(escalated) == 3 * (reporters - 2)

    await eventually(all_said)
    escalated = await reporting_events(nats_server.url, "report.escalated")
    jingning = [e["data"]["level"] for e in escalated if e["data"]["reporter"] == "county:jingning"]
    assert jingning == [2, 3, 4]
    assert len(await reporting_events(nats_server.url, "report.overdue")) == reporters - 1


async def test_the_morning_briefing(reporting, nats_server):
    await reporting.client.post(
        "/api/v1/tasks",
        json={
            "group": "signing",
            "title": "签约项目清单",
            "responsible": "王主任",
            "deadline": at("2020-08-19T12:00"),
            "quality_standard": "全部核实",
        },
        headers=token("group:signing"),
    )
    await move_clock(reporting, "2020-08-20T06:00")
    await reporting.client.post(
        "/api/v1/reports/D2020-08-20",
        json={"done": "…", "next": "…", "problems": "签约场地未落实", "rag": "red"},
        headers=token("county:lingtai"),
    )
    assert (
        await reporting.client.get("/api/v1/briefings/2020-08-20", headers=COMMITTEE)
    ).status_code == 404  # not 07:30 yet
    said = await move_clock(reporting, "2020-08-20T07:31")
    assert said["briefings"] == 1
    markdown = (await reporting.client.get("/api/v1/briefings/2020-08-20", headers=COMMITTEE)).text
    assert "距启动仪式还有 **8** 天" in markdown
    assert "签约项目清单 — 王主任" in markdown
    assert "county:lingtai (D2020-08-20): 签约场地未落实" in markdown
    assert "county:jingning — D2020-08-19" in markdown  # yesterday's report is missing
    assert "| 灵台县 |" in markdown
    html = (
        await reporting.client.get("/api/v1/briefings/2020-08-20?format=html", headers=COMMITTEE)
    ).text
    assert html.startswith("<!doctype html>") and "签约场地未落实" in html
    assert (await move_clock(reporting, "2020-08-20T09:00"))["briefings"] == 0  # once a day

    async def announced():
        return len(await reporting_events(nats_server.url, "briefing.issued")) >= 1

    await eventually(announced)
    [issued] = [
        e
        for e in await reporting_events(nats_server.url, "briefing.issued")
        if e["data"]["day"] == "2020-08-20"
    ]
    assert issued["data"]["days_to_launch"] == 8 and issued["data"]["late_tasks"] == 1


async def test_a_briefing_issued_again_on_demand_shows_the_news_since_the_morning(
    reporting, nats_server
):
    await move_clock(reporting, "2020-08-20T07:31")  # the morning briefing: nothing late yet
    await reporting.client.post(
        "/api/v1/tasks",
        json={
            "group": "logistics",
            "title": "场馆电力增容",
            "responsible": "张处长",
            "deadline": at("2020-08-20T08:00"),
            "quality_standard": "供电部门验收",
        },
        headers=token("group:logistics"),
    )
    await move_clock(reporting, "2020-08-20T09:00")
    before = (await reporting.client.get("/api/v1/briefings/2020-08-20", headers=COMMITTEE)).text
    assert "场馆电力增容" not in before

    asked = {"day": "2020-08-20"}
    same = await reporting.client.post("/api/v1/briefings", json=asked, headers=COMMITTEE)
    assert same.status_code == 409 and same.json()["rule"] == "already_issued", same.text
    again = await reporting.client.post(
        "/api/v1/briefings", json=asked | {"reissue": True}, headers=token("group:coordination")
    )
    assert again.status_code == 201 and again.json()["issued_by"] != "system:scheduler"
    after = (await reporting.client.get("/api/v1/briefings/2020-08-20", headers=COMMITTEE)).text
    assert "场馆电力增容 — 张处长" in after

    async def announced_twice():
        issued = await reporting_events(nats_server.url, "briefing.issued")
        return [e["data"]["late_tasks"] for e in issued if e["data"]["day"] == "2020-08-20"] == [
            0,
            1,
        ]

    await eventually(announced_twice, what="the day's briefing announced again with the news")


async def test_what_is_late_shows_on_the_overdue_list_and_in_metrics(reporting):
    await reporting.client.post(
        "/api/v1/tasks",
        json={
            "group": "publicity",
            "title": "宣传方案",
            "responsible": "赵",
            "deadline": at("2020-07-22T12:00"),
            "quality_standard": "审定",
        },
        headers=token("group:publicity"),
    )
    early = await reporting.client.post(
        "/api/v1/reports/W2020-07-20",
        json={"done": "…", "next": "…", "rag": "green"},
        headers=token("county:city"),
    )
    assert early.status_code == 409 and early.json()["rule"] == "period_not_started"
    await move_clock(reporting, "2020-07-24T10:00")
    filed = await reporting.client.post(
        "/api/v1/reports/W2020-07-20",
        json={"done": "…", "next": "…", "rag": "green"},
        headers=token("county:city"),
    )
    assert filed.status_code == 201
    await move_clock(reporting, "2020-07-27T09:00")
    late = (await reporting.client.get("/api/v1/overdue", headers=token("ops"))).json()
    assert [t["title"] for t in late["tasks"]] == ["宣传方案"]
    assert {m["reporter"] for m in late["reports"]} == {
        r for r in await all_reporters(reporting)
    } - {"county:city"}
    assert (
        await reporting.client.get("/api/v1/overdue", headers=token("county:city"))
    ).status_code == 403
    metrics = await scrape(reporting)
    assert 'expo_tasks_overdue{group="publicity"} 1.0' in metrics
    assert 'expo_reports{reporter="county:city",standing="on_time"} 1.0' in metrics
    assert 'expo_reports{reporter="county:huating",standing="missing"} 1.0' in metrics


async def all_reporters(reporting) -> list[str]:
    matrix = (await reporting.client.get("/api/v1/reports/matrix", headers=COMMITTEE)).json()
    return [row["reporter"] for row in matrix["items"]]


async def test_the_briefing_lists_stale_signings_and_halls_not_ready_near_the_launch(
    reporting, nats_server
):
    import uuid

    import nats

    from shared.events.signings import ProjectData, ProjectProposed

    proposed = ProjectProposed(
        edition="pingliang-2020",
        actor="county-jingning",
        occurred_at=datetime(2020, 8, 1, 10, 0, tzinfo=LOCAL),
        data=ProjectData(
            project_id=uuid.uuid4(),
            version=1,
            title="苹果冷链",
            county="jingning",
            kind="investment",
            partner_name="某企业",
            partner_kind="enterprise",
            sector="agriculture",
            amount_cny=8_000_000,
            achievement_id=None,
            stage="proposed",
        ),
    )
    nc = await nats.connect(nats_server.url)
    await nc.jetstream().publish(
        proposed.subject, proposed.to_json(), headers=proposed.headers(), stream="EXPO_SIGNINGS"
    )
    await nc.close()

    async def projected():
        status = (await reporting.client.get("/api/v1/status/jingning", headers=COMMITTEE)).json()
        return status["signings"].get("proposed", {}).get("count") == 1

    await eventually(projected)
    await move_clock(reporting, "2020-08-22T08:00")  # 6 days to the launch, 21 days in stage
    markdown = (await reporting.client.get("/api/v1/briefings/2020-08-22", headers=COMMITTEE)).text
    stale = markdown.split("## Signing projects stuck in their stage for 14+ days")[1].split("##")[
        0
    ]
    assert "- jingning: 1 proposed" in stale
    not_ready = markdown.split("## Halls not ready 7 days before the launch")[1].split("##")[0]
    assert "- 静宁县" in not_ready and "- 崆峒区" in not_ready
