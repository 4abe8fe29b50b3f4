"""Helpers for exhibitions tests: registration and exhibitions side by side on one bus."""

import json
from contextlib import asynccontextmanager
from dataclasses import dataclass

from tests.support import (
    RunningService,
    eventually,
    metric,
    running_service,
    scrape,
    service_settings,
    stream_messages,
    token,
    unit_body,
)
from tests.support import achievement_body as support_achievement_body

API = "/api/v1"
COMMITTEE = token("committee", "committee-chair")
GROUP = token("group:exhibition", "exhibition-leader")
KONGTONG = token("county:kongtong", "kongtong-clerk")
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@dataclass
class Stack:
    registration: RunningService
    exhibitions: RunningService


@asynccontextmanager
async def registration_and_exhibitions(nats_url: str, tmp_path, **overrides):
    settings = service_settings(nats_url, var_dir=tmp_path, **overrides)
    async with (
        running_service("registration", settings) as reg,
        running_service("exhibitions", settings) as exh,
    ):
        yield Stack(reg, exh)


def achievement_body(unit_id: str, **overrides) -> dict:
    """A small exhibit with no live demonstration: what the halls here are sized for."""
    return (
        support_achievement_body(
            unit_id,
            title="旱作农业节水技术",
            summary="A water-saving technique for dry farming.",
            patents=[],
            floor_area_m2=9,
            power_kw=1,
            live_demo=False,
        )
        | overrides
    )


async def approved_achievement(stack: Stack, county: str = "kongtong", **overrides) -> dict:
    """Register a unit and an achievement in registration and approve it there."""
    reg = stack.registration.client
    unit = (
        await reg.post("/api/v1/units", json=unit_body(county), headers=token("committee"))
    ).json()
    created = await reg.post(
        "/api/v1/achievements",
        json=achievement_body(unit["id"], **overrides),
        headers=token(f"county:{county}"),
    )
    assert created.status_code == 201, created.text
    achievement = created.json()
    for action, role in (("submit", f"county:{county}"), ("approve", "group:registration")):
        answer = await reg.post(
            f"/api/v1/achievements/{achievement['id']}/{action}", headers=token(role)
        )
        assert answer.status_code == 200, answer.text
    return achievement | {"unit": unit}


async def items(svc: RunningService, path: str, headers=COMMITTEE, **params) -> list[dict]:
    """Every record of a paginated list, page after page."""
    found: list[dict] = []
    while True:
        answer = await svc.client.get(
            f"{API}{path}", params=params | {"limit": 200, "offset": len(found)}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        page = answer.json()
        found += page["items"]
        if not page["items"] or len(found) >= page["total"]:
            return found


async def wait_until_known(stack: Stack, achievement_id: str, status: str = "approved") -> None:
    async def replicated():
        listed = await items(stack.exhibitions, "/exhibits", status=status)
        return any(e["achievement_id"] == achievement_id for e in listed)

    await eventually(replicated, what=f"{achievement_id} {status} in exhibitions")


async def known_approved(stack: Stack, county: str = "kongtong", **overrides) -> dict:
    """An approved achievement that exhibitions has heard of."""
    achievement = await approved_achievement(stack, county, **overrides)
    await wait_until_known(stack, achievement["id"])
    return achievement


async def submitted_only(stack: Stack, county: str = "kongtong", **overrides) -> dict:
    """An achievement submitted in registration (not approved), known to exhibitions."""
    reg = stack.registration.client
    unit = (await reg.post(f"{API}/units", json=unit_body(county), headers=COMMITTEE)).json()
    created = await reg.post(
        f"{API}/achievements",
        json=achievement_body(unit["id"], **overrides),
        headers=token(f"county:{county}"),
    )
    assert created.status_code == 201, created.text
    achievement = created.json()
    submitted = await reg.post(
        f"{API}/achievements/{achievement['id']}/submit", headers=token(f"county:{county}")
    )
    assert submitted.status_code == 200, submitted.text
    await wait_until_known(stack, achievement["id"], "submitted")
    return achievement


async def county_hall(
    stack: Stack, county: str = "kongtong", booths: list[dict] | None = None
) -> dict:
    exh = stack.exhibitions.client
    hall = await exh.post(
        "/api/v1/halls",
        json={
            "code": f"{county}-hall",
            "name": f"{county} 成果展厅",
            "kind": "county",
            "county": county,
        },
        headers=token(f"county:{county}"),
    )
    assert hall.status_code == 201, hall.text
    booths = booths or [
        {"code": "A1", "area_m2": 9, "power_kw": 2},
        {"code": "A2", "area_m2": 18, "power_kw": 5},
    ]
    added = await exh.post(
        f"/api/v1/halls/{hall.json()['id']}/booths",
        json={"booths": booths},
        headers=token(f"county:{county}"),
    )
    assert added.status_code == 201, added.text
    return hall.json() | {"booth_list": added.json()["items"]}


def hall_body(code: str, kind: str = "county", county: str | None = "kongtong", **extra) -> dict:
    body = {"code": code, "name": f"{code} 展厅", "kind": kind} | extra
    if county is not None:
        body["county"] = county
    return body


async def create_hall(svc: RunningService, headers=KONGTONG, **body) -> dict:
    answer = await svc.client.post(f"{API}/halls", json=hall_body(**body), headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.headers["Location"] == f"{API}/halls/{answer.json()['id']}"
    return answer.json()


async def page(svc: RunningService, path: str, headers=COMMITTEE, **params) -> dict:
    answer = await svc.client.get(f"{API}{path}", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == {"items", "total", "limit", "offset"}
    return answer.json()


def error_fields(answer) -> list[str]:
    return [e["field"] for e in answer.json().get("errors", [])]


def booth(hall: dict, code: str) -> dict:
    return next(b for b in hall["booth_list"] if b["code"] == code)


async def assign(stack: Stack, booth_id: str, achievement_id: str, headers=COMMITTEE, **extra):
    return await stack.exhibitions.client.post(
        f"{API}/booths/{booth_id}/assignment",
        json={"achievement_id": achievement_id} | extra,
        headers=headers,
    )


async def floor(stack: Stack, *halls: dict) -> dict[str, str | None]:
    """hall code/booth code -> achievement id, for the given halls."""
    placed: dict[str, str | None] = {}
    for hall in halls:
        listed = await items(stack.exhibitions, f"/halls/{hall['id']}/booths")
        placed |= {f"{hall['code']}/{b['code']}": b["achievement_id"] for b in listed}
    return placed


async def events(svc: RunningService, nats_url: str, kind: str = ">") -> list[dict]:
    """Every exhibitions event of `kind` on the bus, once everything committed is published."""

    async def published():
        return metric(await scrape(svc), "expo_outbox_backlog") == 0.0

    await eventually(published, what="the exhibitions outbox is empty")
    messages = await stream_messages(nats_url, f"expo.exhibitions.{kind}", settle=0.1)
    return [json.loads(m.data) for m in messages]


async def refused_and_unchanged(stack: Stack, nats_url: str, halls, request, status: int) -> dict:
    """Makes the request and checks that it was refused with `status` and changed nothing."""
    before = (await floor(stack, *halls), await events(stack.exhibitions, nats_url))
    answer = await request()
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert (await floor(stack, *halls), await events(stack.exhibitions, nats_url)) == before
    return answer.json()


def fields(problem: dict) -> list[str]:
    return [e["field"] for e in problem.get("errors", [])]
