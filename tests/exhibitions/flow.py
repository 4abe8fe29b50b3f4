"""Helpers for exhibitions tests: registration and exhibitions side by side on one bus."""

from contextlib import asynccontextmanager
from dataclasses import dataclass

from tests.support import (
    RunningService,
    eventually,
    running_service,
    service_settings,
    token,
    unit_body,
)
from tests.support import achievement_body as support_achievement_body


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


async def wait_until_known(stack: Stack, achievement_id: str, status: str = "approved") -> None:
    async def replicated():
        listed = await stack.exhibitions.client.get("/api/v1/exhibits", headers=token("committee"))
        return any(
            e["achievement_id"] == achievement_id and e["status"] == status for e in listed.json()
        )

    await eventually(replicated, what=f"{achievement_id} {status} in exhibitions")


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
    return hall.json() | {"booth_list": added.json()}
