"""Publicity over HTTP: review, per-channel publishing (manual and signed push), embargoes,
corrections and bulletins, with events on the bus."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.clock import Clock
from tests.publicity.flow import (
    COORDINATOR,
    COUNTY,
    EDITOR,
    approved_item,
    delivery,
    events,
    item_body,
    settings_for,
    show,
)
from tests.support import eventually, running_service, token

pytestmark = pytest.mark.db


async def test_an_item_goes_out_to_each_channel_its_own_way(publicity, screen, nats_server):
    item = await approved_item(publicity)
    published = await publicity.client.post(f"/api/v1/items/{item['id']}/publish", headers=EDITOR)
    assert published.status_code == 200

    async def pushed():
        return (
            delivery(await show(publicity, item["id"]), "outdoor_screen")["status"] == "published"
        )

    await eventually(pushed, what="the push channel confirmed")
    [received] = screen.received
    assert received["body"]["title"] == "泾川县成果展厅布展完成"
    assert (
        received["headers"]["webhook-id"]
        == delivery(await show(publicity, item["id"]), "outdoor_screen")["id"]
    )
    assert screen.rejected == 0

    assert (
        delivery(await show(publicity, item["id"]), "newspaper")["status"] == "pending"
    )  # a person records it
    recorded = await publicity.client.post(
        f"/api/v1/items/{item['id']}/channels/newspaper/publication",
        json={"reference": "平凉日报 2020-08-02 第3版"},
        headers=EDITOR,
    )
    assert recorded.status_code == 200
    assert delivery(recorded.json(), "newspaper")["reference"] == "平凉日报 2020-08-02 第3版"

    async def two_published_events():
        return len(await events(nats_server.url, "item.published")) == 2

    await eventually(two_published_events)
    channels = sorted(e["data"]["channel"] for e in await events(nats_server.url, "item.published"))
    assert channels == ["newspaper", "outdoor_screen"]


async def test_a_failing_push_channel_is_retried_and_holds_nothing_back(publicity, screen):
    screen.failing = True
    item = await approved_item(publicity, channels=["outdoor_screen", "website"])
    await publicity.client.post(f"/api/v1/items/{item['id']}/publish", headers=EDITOR)

    async def retrying():
        d = delivery(await show(publicity, item["id"]), "outdoor_screen")
        return d["status"] == "retrying" and d["attempts"] >= 1 and "503" in d["last_error"]

    await eventually(retrying, what="the failure reported")
    website = await publicity.client.post(
        f"/api/v1/items/{item['id']}/channels/website/publication",
        json={"reference": "https://kjj.pingliang.gov.cn/1"},
        headers=EDITOR,
    )
    assert delivery(website.json(), "website")["status"] == "published"  # not held back

    screen.failing = False

    async def recovered():
        return (
            delivery(await show(publicity, item["id"]), "outdoor_screen")["status"] == "published"
        )

    await eventually(recovered, timeout=15, what="the channel recovered and got the item")
    assert len(screen.received) == 1


async def test_an_embargoed_item_publishes_itself_across_a_restart(
    nats_server, databases, tmp_path, screen
):
    settings = settings_for(nats_server, tmp_path)
    now = Clock(settings.clock_offset_days).now()
    async with running_service("publicity", settings) as svc:
        item = await approved_item(svc, channels=["outdoor_screen"])
        past = await svc.client.post(
            f"/api/v1/items/{item['id']}/schedule",
            json={"embargo_until": (now - timedelta(minutes=1)).isoformat()},
            headers=EDITOR,
        )
        assert past.status_code == 409 and past.json()["rule"] == "embargo_in_past"
        soon = (now + timedelta(seconds=2)).isoformat()
        scheduled = await svc.client.post(
            f"/api/v1/items/{item['id']}/schedule", json={"embargo_until": soon}, headers=EDITOR
        )
        assert scheduled.json()["status"] == "scheduled"
    assert screen.received == []  # the service stopped before the embargo passed

    async with running_service("publicity", settings) as svc:

        async def published():
            return (
                delivery(await show(svc, item["id"]), "outdoor_screen").get("status") == "published"
            )

        await eventually(
            published, timeout=15, what="the embargoed item published after the restart"
        )
        shown = await show(svc, item["id"])
    assert shown["status"] == "published"
    assert len(screen.received) == 1
    assert datetime.fromisoformat(
        delivery(shown, "outdoor_screen")["published_at"]
    ) >= datetime.fromisoformat(soon).astimezone(UTC)


async def test_a_published_item_changes_only_by_a_correction(publicity, screen, nats_server):
    item = await approved_item(publicity, channels=["outdoor_screen"])
    await publicity.client.post(f"/api/v1/items/{item['id']}/publish", headers=EDITOR)

    async def first_pushed():
        return len(screen.received) == 1

    await eventually(first_pushed)
    in_place = await publicity.client.patch(
        f"/api/v1/items/{item['id']}", json={"title": "改"}, headers=COUNTY
    )
    assert in_place.status_code == 409 and in_place.json()["rule"] == "published_immutable"

    corrected = await publicity.client.post(
        f"/api/v1/items/{item['id']}/corrections",
        json={"body": "更正：布展于昨日完成。", "note": "date"},
        headers=EDITOR,
    )
    # A correction changes the item, as a PATCH does: 200 with the item, no new resource.
    assert corrected.status_code == 200 and corrected.json()["version"] == 2
    assert "location" not in corrected.headers

    async def both_pushed():
        return len(screen.received) == 2

    await eventually(both_pushed, timeout=15)
    assert [r["body"]["version"] for r in screen.received] == [1, 2]
    versions = (
        await publicity.client.get(f"/api/v1/items/{item['id']}/versions", headers=COUNTY)
    ).json()
    assert [(v["version"], v["body"], v["note"]) for v in versions["items"]] == [
        (1, "泾川县成果展厅今日完成布展。", None),
        (2, "更正：布展于昨日完成。", "date"),
    ]
    assert (versions["total"], versions["limit"], versions["offset"]) == (2, 50, 0)
    second = await publicity.client.get(
        f"/api/v1/items/{item['id']}/versions?limit=1&offset=1", headers=COUNTY
    )
    assert [v["version"] for v in second.json()["items"]] == [2]
    assert second.json()["total"] == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"channels": ["telegram"]}, "channels"),
        ({"activity": "banquet"}, "activity"),
        ({"kind": "tweet"}, "kind"),
        ({"title": "   "}, "title"),
        ({"channels": ["newspaper", "newspaper"]}, "channels"),
        ({"link": "javascript:alert(1)", "body": ""}, "link"),
        ({"body": ""}, "body"),  # neither a body nor a link
    ],
)
async def test_bad_items_are_refused_naming_the_field(publicity, nats_server, overrides, field):
    answer = await publicity.client.post(
        "/api/v1/items", json=item_body(**overrides), headers=COUNTY
    )
    assert answer.status_code == 422
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert (await publicity.client.get("/api/v1/items", headers=EDITOR)).json()["total"] == 0


async def test_only_approved_items_are_published_and_counties_do_not_review(publicity):
    created = (
        await publicity.client.post("/api/v1/items", json=item_body(), headers=COUNTY)
    ).json()
    early = await publicity.client.post(f"/api/v1/items/{created['id']}/publish", headers=EDITOR)
    assert early.status_code == 409 and early.json()["rule"] == "transition"
    await publicity.client.post(f"/api/v1/items/{created['id']}/submit", headers=COUNTY)
    assert (
        await publicity.client.post(f"/api/v1/items/{created['id']}/approve", headers=COUNTY)
    ).status_code == 403
    other = await publicity.client.post(
        f"/api/v1/items/{created['id']}/withdraw",
        json={"reason": "x"},
        headers=token("county:lingtai"),
    )
    assert other.status_code == 403


async def test_bulletins_are_adopted_and_counted(publicity, nats_server):
    ids = []
    for n in range(3):
        answer = await publicity.client.post(
            "/api/v1/bulletins",
            json={"title": f"进展{n}", "body": "展厅布展过半。"},
            headers=COUNTY,
        )
        assert answer.status_code == 201
        ids.append(answer.json()["id"])
    coordinator = COORDINATOR
    for bulletin_id, adopted in zip(ids, (True, True, False), strict=True):
        decided = await publicity.client.post(
            f"/api/v1/bulletins/{bulletin_id}/decision",
            json={"adopted": adopted},
            headers=coordinator,
        )
        assert decided.status_code == 200
    again = await publicity.client.post(
        f"/api/v1/bulletins/{ids[0]}/decision", json={"adopted": False}, headers=coordinator
    )
    assert again.status_code == 409 and again.json()["rule"] == "already_decided"
    assert (
        await publicity.client.post(
            f"/api/v1/bulletins/{ids[0]}/decision", json={"adopted": True}, headers=COUNTY
        )
    ).status_code == 403

    counts = (
        await publicity.client.get(
            "/api/v1/bulletins/adoption?period=all", headers=token("committee")
        )
    ).json()
    assert counts == {
        "items": [{"source": "county:jingchuan", "period": "all", "received": 3, "adopted": 2}],
        "total": 1,
        "limit": 50,
        "offset": 0,
    }

    async def decided_events():
        return len(await events(nats_server.url, "bulletin.*")) == 6

    await eventually(decided_events)
    kinds = [e["type"].rsplit(".", 1)[1] for e in await events(nats_server.url, "bulletin.*")]
    assert kinds.count("adopted") == 2 and kinds.count("not_adopted") == 1


async def test_coverage_shows_the_gaps_before_the_day(publicity):
    item = await approved_item(publicity, channels=["website"], activity="launch_ceremony")
    await publicity.client.post(f"/api/v1/items/{item['id']}/publish", headers=EDITOR)
    await publicity.client.post(
        "/api/v1/items", json=item_body(activity="signing_ceremony"), headers=COUNTY
    )
    page = (await publicity.client.get("/api/v1/coverage", headers=EDITOR)).json()
    rows = {r["activity"]: r for r in page["items"]}
    assert page["total"] == len(rows) == 6  # every key activity of the edition
    assert (
        rows["launch_ceremony"]["planned"],
        rows["launch_ceremony"]["published"],
        rows["launch_ceremony"]["gap"],
    ) == (1, 1, False)
    assert (rows["signing_ceremony"]["planned"], rows["signing_ceremony"]["gap"]) == (1, True)
    assert rows["release_sessions"]["planned"] == 0 and rows["release_sessions"]["gap"]
