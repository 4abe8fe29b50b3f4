"""What the achievement tests share: callers, the workflow as the tests know it, and helpers
that drive an achievement over HTTP and read what reached the bus.

"No event" is proved with a marker: after the refused request the committee registers a unit,
and once that unit's event is on the bus every change accepted before it is there too (the
outbox publishes in commit order).
"""

import json
import uuid

from tests.support import (
    achievement_body,
    eventually,
    stream_messages,
    token,
    unit_body,
)

API = "/api/v1"
EVENTS = "expo.registration.>"

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
