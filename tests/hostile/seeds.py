"""A few real records per service, made through its own API, so that requests naming an id
reach the code behind the lookup (authorization, transitions) instead of stopping at 404."""

import uuid
from datetime import UTC, datetime, timedelta

import nats

from shared.events import (
    AchievementApproved,
    AchievementData,
    DisplayNeeds,
    UnitRegistered,
    UnitRegisteredData,
)
from tests.support import RunningService, eventually, token, unit_body

COMMITTEE = token("committee", "committee-wang")
KONGTONG = token("county:kongtong", "kongtong-zhang")
SOON = datetime(2020, 8, 27, 1, 0, tzinfo=UTC)  # the day before the launch


async def _created(svc: RunningService, path: str, body: dict, headers=COMMITTEE) -> str:
    response = await svc.client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), (path, response.status_code, response.text)
    return response.json()["id"]


async def _registration(svc: RunningService) -> dict[str, list[str]]:
    unit = await _created(svc, "/api/v1/units", unit_body("kongtong"))
    body = {"unit_id": unit, "title": "旱作农业全膜双垄沟播技术", "field": "agriculture"}
    body |= {"maturity": "industrialised", "floor_area_m2": 12}
    draft = await _created(svc, "/api/v1/achievements", body)
    submitted = await _created(svc, "/api/v1/achievements", body | {"title": "苹果矮砧密植"})
    response = await svc.client.post(f"/api/v1/achievements/{submitted}/submit", headers=COMMITTEE)
    assert response.status_code == 200, response.text
    return {"unit_id": [unit], "achievement_id": [draft, submitted]}


async def _replicate_a_kongtong_unit_and_achievement(svc: RunningService) -> tuple[str, str]:
    """What registration would have said: exhibitions learns units only from events."""
    unit_id, achievement_id = uuid.uuid4(), uuid.uuid4()
    unit = UnitRegistered(
        edition="pingliang-2020",
        actor="kongtong-zhang",
        data=UnitRegisteredData(
            unit_id=unit_id, county="kongtong", name="崆峒区科技局", kind="other"
        ),
    )
    achievement = AchievementApproved(
        edition="pingliang-2020",
        actor="registration-leader",
        data=AchievementData(
            achievement_id=achievement_id,
            version=3,
            unit_id=unit_id,
            unit_name="崆峒区科技局",
            county="kongtong",
            title="旱作农业全膜双垄沟播技术",
            field="agriculture",
            maturity="industrialised",
            status="approved",
            display=DisplayNeeds(floor_area_m2=12.0, power_kw=1.5, live_demo=False),
        ),
    )
    nc = await nats.connect(svc.runtime.settings.nats_url)
    try:
        for event in (unit, achievement):
            await nc.jetstream().publish(event.subject, event.to_json(), headers=event.headers())
    finally:
        await nc.close()

    async def replicated() -> bool:
        listed = await svc.client.get(
            "/api/v1/exhibits", params={"status": "approved", "limit": 200}, headers=COMMITTEE
        )
        return any(e["achievement_id"] == str(achievement_id) for e in listed.json()["items"])

    await eventually(replicated, 15, "exhibitions replicated the approved achievement")
    return str(unit_id), str(achievement_id)


async def _exhibitions(svc: RunningService) -> dict[str, list[str]]:
    unit, achievement = await _replicate_a_kongtong_unit_and_achievement(svc)
    hall = await _created(
        svc,
        "/api/v1/halls",
        {"code": "kongtong-hall", "name": "崆峒区成果展厅", "kind": "county", "county": "kongtong"},
    )
    themed = await _created(
        svc, "/api/v1/halls", {"code": "agri-hall", "name": "农业科技展厅", "kind": "themed"}
    )
    response = await svc.client.post(
        f"/api/v1/halls/{hall}/booths",
        json={"booths": [{"code": "K-01", "area_m2": 20, "power_kw": 5}]},
        headers=COMMITTEE,
    )
    assert response.status_code == 201, response.text
    booths = [booth["id"] for booth in response.json()["items"]]
    plan = await _created(svc, "/api/v1/allocation-plans", {"hall_id": hall})
    release = await _created(svc, "/api/v1/releases", release_body(unit, achievement))
    return {
        "hall_id": [hall, themed],
        "booth_id": booths,
        "plan_id": [plan],
        "release_id": [release],
        "presenting_unit_id": [unit],
        "achievement_id": [achievement],
    }


def release_body(unit_id: str, achievement_id: str, hour: int = 1) -> dict:
    starts = SOON + timedelta(hours=hour)
    return {
        "title": "旱作农业技术发布",
        "venue": "发布厅",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=30)).isoformat(),
        "presenting_unit_id": unit_id,
        "achievement_ids": [achievement_id],
    }


async def _signings(svc: RunningService) -> dict[str, list[str]]:
    project = await _created(
        svc,
        "/api/v1/projects",
        {
            "title": "旱作农业技术转化",
            "county": "kongtong",
            "local_party": "平凉市农业科学院",
            "partner_name": "甘肃农业大学",
            "partner_kind": "college",
            "kind": "technology_transfer",
            "sector": "农业",
            "amount_cny": 5_000_000,
        },
    )
    response = await svc.client.post(
        "/api/v1/running-order/slots",
        json={"title": "第一批签约", "starts_at": SOON.isoformat()},
        headers=COMMITTEE,
    )
    assert response.status_code == 201, response.text
    return {"project_id": [project], "slot_id": [response.json()["id"]]}


async def _publicity(svc: RunningService) -> dict[str, list[str]]:
    item = await _created(
        svc,
        "/api/v1/items",
        {
            "title": "崆峒区科技成果亮相",
            "kind": "news",
            "author_unit": "崆峒区科技局",
            "body": "崆峒区二十项成果参展",
            "activity": "exhibition",
            "channels": ["newspaper", "website"],
        },
        headers=KONGTONG,
    )
    bulletin = await _created(
        svc, "/api/v1/bulletins", {"title": "崆峒区工作动态", "body": "展厅布展完成"}, KONGTONG
    )
    return {"item_id": [item], "bulletin_id": [bulletin], "channel": ["newspaper"]}


async def _reporting(svc: RunningService) -> dict[str, list[str]]:
    task = await _created(
        svc,
        "/api/v1/tasks",
        {
            "group": "exhibition",
            "title": "展厅布展",
            "responsible": "exhibition-leader",
            "deadline": (SOON - timedelta(days=3)).isoformat(),
            "quality_standard": "展品到位、通过安全检查",
        },
    )
    shown = await svc.client.get(f"/api/v1/tasks/{task}", headers=COMMITTEE)
    assert shown.status_code == 200, shown.text
    periods = await svc.client.get("/api/v1/periods", headers=COMMITTEE)
    assert periods.status_code == 200, periods.text
    codes = [period["code"] for period in periods.json()["items"]][:2]
    return {
        "task_id": [task],
        "responsible_id": [shown.json()["responsible_id"]],
        "period": codes,
        "reporter": ["county:kongtong", "group:exhibition"],
        "county": ["kongtong"],
        "day": ["2020-08-01"],
    }


SEEDS = {
    "registration": _registration,
    "exhibitions": _exhibitions,
    "signings": _signings,
    "publicity": _publicity,
    "reporting": _reporting,
}


async def seed(service: str, svc: RunningService) -> dict[str, list[str]]:
    """Known values for path parameters, by parameter name."""
    return await SEEDS[service](svc)


def unknown_id() -> str:
    return str(uuid.uuid4())
