"""The problems section of the daily dispatch briefing: a corrected report counts once, as its
latest version says, and a re-issued briefing keeps what its first issue listed."""

import json

import pytest

from tests.reporting.rehearsal import COMMITTEE, before_the_dispatch, move_clock
from tests.support import eventually, stream_messages, token

pytestmark = pytest.mark.db
PROBLEMS = "## Problems raised in reports (协调解决问题)\n"


@pytest.fixture
async def reporting(nats_server, databases, tmp_path):
    async with before_the_dispatch(nats_server.url, tmp_path) as svc:
        yield svc


async def file_report(svc, reporter: str, period: str, problems: str = "") -> dict:
    answer = await svc.client.post(
        f"/api/v1/reports/{period}",
        json={"done": "…", "next": "…", "problems": problems, "rag": "amber"},
        headers=token(reporter),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def problems_listed(svc, day: str) -> list[str]:
    """The lines of the problems section of a day's briefing, as Markdown."""
    answer = await svc.client.get(f"/api/v1/briefings/{day}", headers=COMMITTEE)
    assert answer.status_code == 200, answer.text
    section = answer.text.split(PROBLEMS, 1)[1].split("\n\n", 1)[0]
    return [line for line in section.splitlines() if line != "- none"]


async def problems_announced(nats_url: str, day: str) -> list[int]:
    """`problems_raised` of every briefing.issued event of the day, in order."""
    messages = await stream_messages(nats_url, "expo.reporting.briefing.issued")
    events = [json.loads(m.data) for m in messages]
    return [e["data"]["problems_raised"] for e in events if e["data"]["day"] == day]


async def test_a_corrected_report_raises_its_problems_once_as_its_latest_version_says(
    reporting, nats_server
):
    await move_clock(reporting, "2020-08-16T07:31")  # the morning briefing of 08-16
    await move_clock(reporting, "2020-08-16T20:00")  # past 18:00: the day's reports are due
    late = await file_report(reporting, "county:huating", "D2020-08-16", "需协调布展车辆进场时间")
    assert late["on_time"] is False
    corrected = await file_report(
        reporting, "county:huating", "D2020-08-16", "需协调布展车辆进场时间"
    )
    assert corrected["version"] == 2
    # A problem solved by the time of the correction, and a problem restated.
    await file_report(reporting, "county:jingning", "D2020-08-16", "展厅照明未到位")
    await file_report(reporting, "county:jingning", "D2020-08-16")
    await file_report(reporting, "county:lingtai", "D2020-08-16", "签约场地未落实")
    await file_report(reporting, "county:lingtai", "D2020-08-16", "签约场地已落实，缺桌椅")

    assert (await move_clock(reporting, "2020-08-17T07:31"))["briefings"] == 1
    assert await problems_listed(reporting, "2020-08-17") == [
        "- county:huating (D2020-08-16): 需协调布展车辆进场时间",
        "- county:lingtai (D2020-08-16): 签约场地已落实，缺桌椅",
    ]
    html = (
        await reporting.client.get("/api/v1/briefings/2020-08-17?format=html", headers=COMMITTEE)
    ).text
    assert html.count("需协调布展车辆进场时间") == 1
    assert "展厅照明未到位" not in html and "签约场地未落实" not in html

    async def announced():
        return await problems_announced(nats_server.url, "2020-08-17") == [2]

    await eventually(announced, what="the 08-17 briefing announced with two problems raised")


async def test_a_reissued_briefing_keeps_what_its_first_issue_listed_and_adds_the_news(
    reporting, nats_server
):
    await move_clock(reporting, "2020-08-15T06:00")
    await file_report(reporting, "county:jingning", "W2020-08-10", "分选线用电需增容")
    await move_clock(reporting, "2020-08-15T07:31")  # the morning briefing of 08-15
    assert await problems_listed(reporting, "2020-08-15") == [
        "- county:jingning (W2020-08-10): 分选线用电需增容"
    ]

    await move_clock(reporting, "2020-08-15T10:00")  # after that day's briefing
    await file_report(reporting, "county:kongtong", "W2020-08-10", "展品运输车辆不足")
    assert (await move_clock(reporting, "2020-08-16T07:31"))["briefings"] == 1
    first = ["- county:kongtong (W2020-08-10): 展品运输车辆不足"]
    assert await problems_listed(reporting, "2020-08-16") == first

    # More than a day after Kongtong filed, news comes in and the day's briefing is re-issued.
    await move_clock(reporting, "2020-08-16T11:00")
    await file_report(reporting, "county:huating", "D2020-08-16", "需协调布展车辆进场时间")
    again = await reporting.client.post(
        "/api/v1/briefings",
        json={"day": "2020-08-16", "reissue": True},
        headers=token("group:coordination"),
    )
    assert again.status_code == 201, again.text
    assert await problems_listed(reporting, "2020-08-16") == [
        "- county:huating (D2020-08-16): 需协调布展车辆进场时间",
        *first,
    ]  # and not Jingning's problem, which the 08-15 briefing raised

    # Issued again once more: the same window, nothing lost and nothing twice.
    await move_clock(reporting, "2020-08-16T15:00")
    await reporting.client.post(
        "/api/v1/briefings", json={"day": "2020-08-16", "reissue": True}, headers=COMMITTEE
    )
    assert len(await problems_listed(reporting, "2020-08-16")) == 2

    async def announced():
        return await problems_announced(nats_server.url, "2020-08-16") == [1, 2, 2]

    await eventually(announced, what="the 08-16 briefing announced with 1, then 2 problems")

    # The next morning's news starts where the 08-16 briefing was last issued: neither is news.
    await move_clock(reporting, "2020-08-17T07:31")
    assert await problems_listed(reporting, "2020-08-17") == []
