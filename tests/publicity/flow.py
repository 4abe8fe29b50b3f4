"""What the publicity tests share: who asks, a valid item, walking one to approval, and reading
items, deliveries and events back."""

import json

from tests.support import service_settings, stream_messages, token

COUNTY = token("county:jingchuan", "jingchuan-li")
EDITOR = token("group:publicity", "publicity-wang")
COORDINATOR = token("group:coordination", "coordination-zhao")


def settings_for(nats_server, tmp_path):
    return service_settings(nats_server.url, var_dir=tmp_path, background_poll_interval=0.1)


def item_body(**overrides) -> dict:
    return {
        "title": "泾川县成果展厅布展完成",
        "kind": "news",
        "author_unit": "泾川县科技局",
        "body": "泾川县成果展厅今日完成布展。",
        "activity": "county_halls",
        "channels": ["newspaper", "outdoor_screen"],
    } | overrides


async def drafted_item(svc, **overrides) -> dict:
    created = await svc.client.post("/api/v1/items", json=item_body(**overrides), headers=COUNTY)
    assert created.status_code == 201, created.text
    return created.json()


async def approved_item(svc, **overrides) -> dict:
    item = await drafted_item(svc, **overrides)
    submitted = await svc.client.post(f"/api/v1/items/{item['id']}/submit", headers=COUNTY)
    assert submitted.status_code == 200, submitted.text
    approved = await svc.client.post(f"/api/v1/items/{item['id']}/approve", headers=EDITOR)
    assert approved.status_code == 200, approved.text
    return approved.json()


async def events(nats_url: str, kind: str = ">") -> list[dict]:
    return [json.loads(m.data) for m in await stream_messages(nats_url, f"expo.publicity.{kind}")]


async def show(svc, item_id: str) -> dict:
    return (await svc.client.get(f"/api/v1/items/{item_id}", headers=EDITOR)).json()


def delivery(item: dict, channel: str) -> dict:
    """The delivery of the item's current version to `channel` ({} while there is none)."""
    return next(
        (
            d
            for d in item["deliveries"]
            if d["channel"] == channel and d["version"] == item["version"]
        ),
        {},
    )
