"""From approval in registration to a booth in exhibitions, and back when it is withdrawn."""

import json

import pytest

from tests.exhibitions.flow import (
    approved_achievement,
    county_hall,
    registration_and_exhibitions,
    wait_until_known,
)
from tests.support import eventually, stream_messages, token

pytestmark = pytest.mark.db


async def exhibitions_events(nats_url: str, kind: str = ">") -> list[dict]:
    return [json.loads(m.data) for m in await stream_messages(nats_url, f"expo.exhibitions.{kind}")]


async def test_an_approved_achievement_is_placed_and_its_booth_freed_when_withdrawn(
    nats_server, databases, tmp_path
):
    async with registration_and_exhibitions(nats_server.url, tmp_path) as stack:
        achievement = await approved_achievement(stack)
        await wait_until_known(stack, achievement["id"])
        hall = await county_hall(stack)
        small = next(b for b in hall["booth_list"] if b["code"] == "A1")

        assigned = await stack.exhibitions.client.post(
            f"/api/v1/booths/{small['id']}/assignment",
            json={"achievement_id": achievement["id"]},
            headers=token("county:kongtong"),
        )
        assert assigned.status_code == 200, assigned.text
        assert assigned.json()["achievement_id"] == achievement["id"]

        withdrawn = await stack.registration.client.post(
            f"/api/v1/achievements/{achievement['id']}/withdraw",
            json={"reason": "exhibit not ready"},
            headers=token("county:kongtong"),
        )
        assert withdrawn.status_code == 200

        async def freed():
            booths = await stack.exhibitions.client.get(
                f"/api/v1/halls/{hall['id']}/booths", headers=token("committee")
            )
            return (
                next(b for b in booths.json()["items"] if b["code"] == "A1")["achievement_id"]
                is None
            )

        await eventually(freed, what="booth A1 freed after the withdrawal")

        async def released_event():
            return len(await exhibitions_events(nats_server.url, "booth.released")) == 1

        await eventually(released_event)
        [released] = await exhibitions_events(nats_server.url, "booth.released")
        assert released["data"]["reason"] == "achievement_withdrawn"
        assert released["data"]["achievement_id"] == achievement["id"]
        assert [e["type"] for e in await exhibitions_events(nats_server.url, "booth.assigned")] == [
            "expo.exhibitions.booth.assigned"
        ]


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [({"floor_area_m2": 12}, "area"), ({"power_kw": 3}, "power")],
)
async def test_an_achievement_that_does_not_fit_is_refused_with_the_reason(
    nats_server, databases, tmp_path, overrides, rule
):
    async with registration_and_exhibitions(nats_server.url, tmp_path) as stack:
        achievement = await approved_achievement(stack, **overrides)
        await wait_until_known(stack, achievement["id"])
        hall = await county_hall(stack)
        small = next(b for b in hall["booth_list"] if b["code"] == "A1")  # 9 m², 2 kW
        refused = await stack.exhibitions.client.post(
            f"/api/v1/booths/{small['id']}/assignment",
            json={"achievement_id": achievement["id"]},
            headers=token("committee"),
        )
        assert refused.status_code == 409
        assert refused.json()["rule"] == rule
        assert await exhibitions_events(nats_server.url, "booth.assigned") == []


async def test_auto_allocation_proposes_then_applies_only_when_confirmed(
    nats_server, databases, tmp_path
):
    async with registration_and_exhibitions(nats_server.url, tmp_path) as stack:
        big = await approved_achievement(stack, floor_area_m2=16, title="大型展品")
        small = await approved_achievement(stack, floor_area_m2=8, title="小型展品")
        huge = await approved_achievement(stack, floor_area_m2=40, title="超大展品")
        for a in (big, small, huge):
            await wait_until_known(stack, a["id"])
        hall = await county_hall(stack)  # A1 9 m², A2 18 m²

        proposed = await stack.exhibitions.client.post(
            "/api/v1/allocation-plans",
            json={"hall_id": hall["id"]},
            headers=token("county:kongtong"),
        )
        assert proposed.status_code == 201, proposed.text
        plan = proposed.json()
        placed = {p["title"]: p["booth_code"] for p in plan["placements"]}
        assert placed == {
            "大型展品": "A2",
            "小型展品": "A1",
        }  # best fit keeps big booths for big exhibits
        assert [(u["title"], u["reason"]) for u in plan["unplaced"]] == [
            ("超大展品", "needs 40 m²; the largest free booth has 18 m²")
        ]
        assert await exhibitions_events(nats_server.url, "booth.assigned") == []  # only proposed

        confirmed = await stack.exhibitions.client.post(
            f"/api/v1/allocation-plans/{plan['id']}/confirm", headers=token("county:kongtong")
        )
        assert confirmed.status_code == 200, confirmed.text

        async def two_assigned():
            return len(await exhibitions_events(nats_server.url, "booth.assigned")) == 2

        await eventually(two_assigned)
        again = await stack.exhibitions.client.post(
            f"/api/v1/allocation-plans/{plan['id']}/confirm", headers=token("county:kongtong")
        )
        assert again.status_code == 409 and again.json()["rule"] == "plan_applied"
