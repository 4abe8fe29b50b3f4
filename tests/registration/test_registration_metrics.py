"""Registration's own figures on /metrics: units per county, achievements per county and status."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import scrape, token, unit_body

pytestmark = pytest.mark.db

API = "/api/v1"
COMMITTEE = token("committee", "committee-chair")
REVIEWER = token("group:registration", "registration-leader")
# The counties of deploy/editions/pingliang-2020.toml and every achievement status.
COUNTIES = [
    "kongtong",
    "huating",
    "jingchuan",
    "lingtai",
    "chongxin",
    "zhuanglang",
    "jingning",
    "city",
]
STATUSES = ["draft", "submitted", "approved", "rejected", "withdrawn"]


async def registration_figures(svc) -> dict[str, dict[tuple, float]]:
    """{metric name: {sorted label items: value}} for the registration gauges."""
    figures: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(await scrape(svc)):
        for sample in family.samples:
            if sample.name.startswith("expo_registration_"):
                labels = tuple(sorted(sample.labels.items()))
                figures.setdefault(sample.name, {})[labels] = sample.value
    return figures


def units_gauge(**counts: int) -> dict[tuple, float]:
    return {(("county", c),): float(counts.get(c, 0)) for c in COUNTIES}


def achievements_gauge(counts: dict[tuple[str, str], int]) -> dict[tuple, float]:
    return {
        (("county", c), ("status", s)): float(counts.get((c, s), 0))
        for c in COUNTIES
        for s in STATUSES
    }


async def unit(client, county: str) -> str:
    response = await client.post(f"{API}/units", json=unit_body(county), headers=COMMITTEE)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def achievement(client, unit_id: str, *actions: str) -> str:
    body = {
        "unit_id": unit_id,
        "title": "苹果矮化密植栽培",
        "field": "agriculture",
        "maturity": "industrialised",
        "floor_area_m2": 9,
    }
    response = await client.post(f"{API}/achievements", json=body, headers=COMMITTEE)
    assert response.status_code == 201, response.text
    achievement_id = response.json()["id"]
    for action in actions:
        await act(client, achievement_id, action)
    return achievement_id


async def act(client, achievement_id: str, action: str) -> None:
    body = {"reason": "不符合展览主题"} if action == "reject" else None
    headers = REVIEWER if action in ("approve", "reject") else COMMITTEE
    response = await client.post(
        f"{API}/achievements/{achievement_id}/{action}", json=body, headers=headers
    )
    assert response.status_code == 200, response.text


async def test_every_county_and_status_shows_zero_before_anything_is_registered(registration):
    figures = await registration_figures(registration)

    assert figures["expo_registration_units"] == units_gauge()
    assert figures["expo_registration_achievements"] == achievements_gauge({})


async def test_metrics_count_units_and_achievements_by_county_and_status(registration):
    client = registration.client
    kongtong_a, kongtong_b = await unit(client, "kongtong"), await unit(client, "kongtong")
    jingning = await unit(client, "jingning")
    await unit(client, "city")
    await achievement(client, kongtong_a)
    await achievement(client, kongtong_a, "submit", "approve")
    await achievement(client, kongtong_b, "submit", "approve")
    await achievement(client, kongtong_b, "withdraw")
    await achievement(client, jingning, "submit")
    await achievement(client, jingning, "submit", "reject")

    figures = await registration_figures(registration)

    assert figures["expo_registration_units"] == units_gauge(kongtong=2, jingning=1, city=1)
    assert figures["expo_registration_achievements"] == achievements_gauge(
        {
            ("kongtong", "draft"): 1,
            ("kongtong", "approved"): 2,
            ("kongtong", "withdrawn"): 1,
            ("jingning", "submitted"): 1,
            ("jingning", "rejected"): 1,
        }
    )


async def test_achievement_figures_move_when_the_status_changes(registration):
    client = registration.client
    achievement_id = await achievement(client, await unit(client, "huating"), "submit", "approve")

    def huating(figures) -> dict[str, float]:
        gauge = figures["expo_registration_achievements"]
        return {s: gauge[(("county", "huating"), ("status", s))] for s in STATUSES}

    assert huating(await registration_figures(registration)) == {
        "draft": 0,
        "submitted": 0,
        "approved": 1,
        "rejected": 0,
        "withdrawn": 0,
    }

    await act(client, achievement_id, "reject")
    assert huating(await registration_figures(registration)) == {
        "draft": 0,
        "submitted": 0,
        "approved": 0,
        "rejected": 1,
        "withdrawn": 0,
    }

    await act(client, achievement_id, "submit")
    after_resubmit = huating(await registration_figures(registration))
    assert (after_resubmit["rejected"], after_resubmit["submitted"]) == (0, 1)

    await act(client, achievement_id, "withdraw")
    assert huating(await registration_figures(registration)) == {
        "draft": 0,
        "submitted": 0,
        "approved": 0,
        "rejected": 0,
        "withdrawn": 1,
    }


async def test_refused_changes_do_not_move_the_figures(registration):
    client = registration.client
    achievement_id = await achievement(client, await unit(client, "lingtai"))
    before = await registration_figures(registration)

    refused = await client.post(f"{API}/achievements/{achievement_id}/approve", headers=REVIEWER)
    unknown_county = await client.post(
        f"{API}/units", json=unit_body("atlantis"), headers=COMMITTEE
    )

    assert refused.status_code == 409 and unknown_county.status_code == 422
    assert await registration_figures(registration) == before
