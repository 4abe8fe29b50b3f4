"""Publicity keeps the API contract every service keeps: 201 with a Location that shows what
was created, 409s that name their rule (and the moves allowed), closed filters, pages, strict
times answered in UTC, and the path's channel checked like a record."""

from datetime import UTC, timedelta

import pytest

from tests.publicity.flow import (
    COORDINATOR,
    COUNTY,
    EDITOR,
    approved_item,
    delivery,
    drafted_item,
    events,
    item_body,
)
from tests.support import eventually, token

pytestmark = pytest.mark.db

LINGTAI = token("county:lingtai", "lingtai-wu")


async def test_creations_answer_201_with_a_location_that_shows_them(publicity):
    key = {"Idempotency-Key": "item-form-1"}
    created = await publicity.client.post("/api/v1/items", json=item_body(), headers=COUNTY | key)
    assert created.status_code == 201, created.text
    item = created.json()
    assert created.headers["location"] == f"/api/v1/items/{item['id']}"
    assert item["created_at"].endswith("Z") and item["updated_at"].endswith("Z")
    shown = await publicity.client.get(created.headers["location"], headers=COUNTY)
    assert shown.status_code == 200 and shown.json() == item
    replayed = await publicity.client.post("/api/v1/items", json=item_body(), headers=COUNTY | key)
    assert replayed.status_code == 201 and replayed.json() == item
    assert replayed.headers["location"] == created.headers["location"]
    assert replayed.headers["idempotent-replayed"] == "true"

    sent = await publicity.client.post(
        "/api/v1/bulletins", json={"title": "进展", "body": "展厅布展过半。"}, headers=COUNTY
    )
    assert sent.status_code == 201, sent.text
    bulletin = sent.json()
    assert sent.headers["location"] == f"/api/v1/bulletins/{bulletin['id']}"
    assert bulletin["status"] == "received" and bulletin["created_at"].endswith("Z")
    for reader in (COUNTY, COORDINATOR, token("committee")):
        shown = await publicity.client.get(sent.headers["location"], headers=reader)
        assert shown.status_code == 200 and shown.json() == bulletin
    assert (
        await publicity.client.get(sent.headers["location"], headers=LINGTAI)
    ).status_code == 403
    unknown = await publicity.client.get(
        "/api/v1/bulletins/00000000-0000-4000-8000-000000000000", headers=COORDINATOR
    )
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "/problems/not-found"
    assert unknown.json()["errors"][0]["field"] == "bulletin_id"


async def test_a_refused_move_names_its_rule_and_the_moves_allowed(publicity):
    draft = await drafted_item(publicity, channels=["newspaper"])
    early = await publicity.client.post(f"/api/v1/items/{draft['id']}/publish", headers=EDITOR)
    assert early.status_code == 409
    assert early.json()["rule"] == "transition"
    assert early.json()["allowed"] == ["edit", "submit", "withdraw"]
    assert "allowed from draft: edit, submit, withdraw" in early.json()["detail"]
    emptied = await publicity.client.patch(
        f"/api/v1/items/{draft['id']}", json={"body": ""}, headers=COUNTY
    )
    assert emptied.status_code == 409 and emptied.json()["errors"][0]["field"] == "body"
    assert emptied.json()["rule"] == "no_content"

    item = await approved_item(publicity, channels=["newspaper"])
    assert (
        await publicity.client.post(f"/api/v1/items/{item['id']}/publish", headers=EDITOR)
    ).status_code == 200
    in_place = await publicity.client.patch(
        f"/api/v1/items/{item['id']}", json={"title": "改"}, headers=EDITOR
    )
    assert in_place.status_code == 409
    assert in_place.json()["rule"] == "published_immutable"
    assert in_place.json()["allowed"] == ["correct", "withdraw"]

    withdrawn = await publicity.client.post(
        f"/api/v1/items/{item['id']}/withdraw", json={"reason": "重复"}, headers=EDITOR
    )
    assert withdrawn.status_code == 200
    again = await publicity.client.post(f"/api/v1/items/{item['id']}/submit", headers=COUNTY)
    assert again.status_code == 409
    assert (again.json()["rule"], again.json()["allowed"]) == ("transition", [])


async def test_filters_and_pages_refuse_what_they_do_not_know(publicity):
    await drafted_item(publicity)
    sent = await publicity.client.post(
        "/api/v1/bulletins", json={"title": "进展", "body": "展厅布展过半。"}, headers=COUNTY
    )
    assert sent.status_code == 201
    refused = {
        "/api/v1/items?status=aproved": "status",
        "/api/v1/items?activity=banquet": "activity",
        "/api/v1/bulletins?status=pending": "status",
        "/api/v1/bulletins?offset=4846773775641061883904": "offset",
        "/api/v1/coverage?limit=0": "limit",
        "/api/v1/bulletins/adoption?period=year": "period",
        "/api/v1/bulletins/adoption?until=0": "until",
        "/api/v1/bulletins/adoption?since=1596240000": "since",
        "/api/v1/bulletins/adoption?since=2020-08-01T00:00:00Z": "since",
        "/api/v1/bulletins/adoption?since=2020-08-02&until=2020-08-01": "until",
    }
    for url, field in refused.items():
        answer = await publicity.client.get(url, headers=EDITOR)
        assert answer.status_code == 422, (url, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in answer.json()["errors"]], (url, answer.text)

    found = await publicity.client.get("/api/v1/items?activity=county_halls", headers=EDITOR)
    assert found.json()["total"] == 1
    none = await publicity.client.get("/api/v1/items?activity=exhibition", headers=EDITOR)
    assert none.json()["total"] == 0
    received = await publicity.client.get("/api/v1/bulletins?status=received", headers=COUNTY)
    assert received.json()["total"] == 1

    today = sent.json()["day"]
    tomorrow = str(
        publicity.runtime.edition.local_date(publicity.runtime.clock.now()) + timedelta(1)
    )
    assert today != tomorrow
    by_day = await publicity.client.get(
        f"/api/v1/bulletins/adoption?period=day&since={today}&until={today}", headers=COUNTY
    )
    assert by_day.json()["items"] == [
        {"source": "county:jingchuan", "period": today, "received": 1, "adopted": 0}
    ]
    later = await publicity.client.get(
        f"/api/v1/bulletins/adoption?since={tomorrow}", headers=COUNTY
    )
    assert later.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}


async def test_an_embargo_is_a_time_with_an_offset_answered_in_utc(publicity):
    item = await approved_item(publicity, channels=["newspaper"])
    path = f"/api/v1/items/{item['id']}/schedule"
    for sent in (12345, "0", "1596240000", "2020-08-20T08:00:00", "2020-08-20"):
        answer = await publicity.client.post(path, json={"embargo_until": sent}, headers=EDITOR)
        assert answer.status_code == 422, (sent, answer.text)
        assert answer.json()["errors"][0]["field"] == "embargo_until"
    local = publicity.runtime.clock.now().astimezone(publicity.runtime.edition.zone)
    later = (local + timedelta(days=1)).replace(microsecond=0)
    scheduled = await publicity.client.post(
        path, json={"embargo_until": later.isoformat()}, headers=EDITOR
    )
    assert scheduled.status_code == 200, scheduled.text
    utc = later.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert scheduled.json()["embargo_until"] == utc


async def test_where_an_item_appeared_is_recorded_on_its_own_manual_channels(
    publicity, nats_server
):
    item = await approved_item(publicity, channels=["newspaper", "website"])
    base = f"/api/v1/items/{item['id']}/channels"
    not_yet = await publicity.client.post(
        f"{base}/newspaper/publication", json={"reference": "平凉日报 第3版"}, headers=EDITOR
    )
    assert not_yet.status_code == 409 and not_yet.json()["rule"] == "not_publishing"
    assert (
        await publicity.client.post(f"/api/v1/items/{item['id']}/publish", headers=EDITOR)
    ).status_code == 200

    for channel in ("tv", "telegram"):  # not one of the item's, or not one of the edition's
        answer = await publicity.client.post(
            f"{base}/{channel}/publication", json={"reference": "x"}, headers=EDITOR
        )
        assert answer.status_code == 404, answer.text
        assert answer.json()["errors"][0]["field"] == "channel"
    for body, field in (
        ({}, "reference"),
        ({"url": "ftp://kjj.pingliang.gov.cn/1"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://kjj.pingliang.gov.cn/" + "a" * 500}, "url"),
        ({"reference": "   "}, "reference"),
    ):
        answer = await publicity.client.post(
            f"{base}/website/publication", json=body, headers=EDITOR
        )
        assert answer.status_code == 422, (body, answer.text)
        assert field in [e["field"] for e in answer.json()["errors"]], (body, answer.text)

    online = "https://kjj.pingliang.gov.cn/news/20200802-01"
    website = await publicity.client.post(
        f"{base}/website/publication", json={"url": online}, headers=EDITOR
    )
    assert website.status_code == 200, website.text
    shown = delivery(website.json(), "website")
    assert (shown["status"], shown["reference"], shown["url"]) == ("published", online, online)
    assert shown["published_at"].endswith("Z")
    paper = await publicity.client.post(
        f"{base}/newspaper/publication",
        json={"reference": "平凉日报 2020-08-02 第3版", "url": "https://pldaily.cn/3"},
        headers=EDITOR,
    )
    shown = delivery(paper.json(), "newspaper")
    assert (shown["reference"], shown["url"]) == (
        "平凉日报 2020-08-02 第3版",
        "https://pldaily.cn/3",
    )
    twice = await publicity.client.post(
        f"{base}/newspaper/publication", json={"reference": "第4版"}, headers=EDITOR
    )
    assert twice.status_code == 409 and twice.json()["rule"] == "not_manual_pending"

    async def both_said():
        return len(await events(nats_server.url, "item.published")) == 2

    await eventually(both_said)
    said = {
        e["data"]["channel"]: e["data"]["reference"]
        for e in await events(nats_server.url)
        if e["type"] == "expo.publicity.item.published"
    }
    assert said == {"website": online, "newspaper": "平凉日报 2020-08-02 第3版"}


async def test_a_correction_refused_for_what_was_published_is_a_rule_not_bad_input(publicity):
    """Valid in itself, refused for what the item already holds: a 409 naming the rule."""
    item = await approved_item(publicity)
    published = await publicity.client.post(f"/api/v1/items/{item['id']}/publish", headers=EDITOR)
    assert published.status_code == 200, published.text
    same = await publicity.client.post(
        f"/api/v1/items/{item['id']}/corrections",
        json={"title": item["title"], "note": "重发"},
        headers=EDITOR,
    )
    assert same.status_code == 409, same.text
    assert same.json()["rule"] == "nothing_to_correct"
    emptied = await publicity.client.post(
        f"/api/v1/items/{item['id']}/corrections",
        json={"body": "", "note": "撤下正文"},
        headers=EDITOR,
    )
    assert emptied.status_code == 409, emptied.text
    assert emptied.json()["rule"] == "no_content"
    assert (await publicity.client.get(f"/api/v1/items/{item['id']}", headers=EDITOR)).json()[
        "version"
    ] == published.json()["version"]
