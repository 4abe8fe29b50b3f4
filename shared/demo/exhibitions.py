"""Halls walked to their stage, booths, auto-allocation confirmed, release sessions."""

import asyncio
from functools import partial

from shared.demo.client import DemoClient, DemoError, each

STAGES = ["planned", "designed", "built", "exhibits_in_place", "safety_inspected", "ready"]
EXHIBITS_TIMEOUT = 60.0


async def enter(demo: DemoClient, data: dict, registered: asyncio.Event) -> None:
    post = partial(demo.post, "exhibitions")
    manager = demo.group("exhibitions")

    async def hall(h: dict) -> None:
        owner = f"county:{h['county']}" if h.get("county") else manager
        key = f"hall:{h['key']}"
        body = {
            "code": h["code"],
            "name": h["name"],
            "kind": "county" if h.get("county") else "themed",
        }
        if h.get("county"):
            body["county"] = h["county"]
        made = await post("/halls", owner, key, body, "halls")
        demo.ids[key] = made["id"]
        path = f"/halls/{made['id']}"
        booths = [
            {"code": f"{h['code']}-{n:02d}", "area_m2": area, "power_kw": power}
            for n, (area, power) in enumerate(h.get("booths", []), start=1)
        ]
        if booths:
            await post(f"{path}/booths", owner, f"{key}:booths", {"booths": booths})
        for stage in STAGES[1 : STAGES.index(h["stage"]) + 1]:
            if stage == "safety_inspected":  # only a passing inspection takes a hall there
                await post(f"{path}/inspections", manager, f"{key}:inspection", {"passed": True})
            else:
                await post(f"{path}/stage", owner, f"{key}:{stage}", {"stage": stage})
        if problems := h.get("failed_inspection"):
            body = {"passed": False, "problems": problems}
            await post(f"{path}/inspections", manager, f"{key}:failed-inspection", body)

    async def allocate(h: dict) -> None:
        key = f"hall:{h['key']}:plan"
        plan = await post(
            "/allocation-plans", manager, key, {"hall_id": demo.ids[f"hall:{h['key']}"]}
        )
        placed = len(plan["placements"])
        await post(
            f"/allocation-plans/{plan['id']}/confirm",
            manager,
            f"{key}:confirm",
            None,
            "booths assigned",
            placed,
        )

    async def release(r: dict) -> None:
        county = next(u["county"] for u in data["units"] if u["key"] == r["unit"])
        key = f"release:{r['key']}"
        body = {
            "title": r["title"],
            "venue": r["venue"],
            "starts_at": r["starts"].isoformat(),
            "ends_at": r["ends"].isoformat(),
            "presenting_unit_id": demo.ids[r["unit"]],
            "achievement_ids": [demo.ids[a] for a in r["achievements"]],
        }
        made = await post("/releases", f"county:{county}", key, body, "release sessions")
        path = f"/releases/{made['id']}"
        if r["status"] == "held":
            await post(f"{path}/hold", manager, f"{key}:hold")
        elif r["status"] == "cancelled":
            await post(f"{path}/cancel", manager, f"{key}:cancel", {"reason": r["reason"]})

    await each(hall(h) for h in data.get("halls", []))
    await registered.wait()
    approved = [a["key"] for a in data.get("achievements", []) if a["status"] == "approved"]
    await wait_for_exhibits(demo, {demo.ids[a] for a in approved}, manager)
    for h in data.get("halls", []):  # one after another: each plan sees the booths taken before
        if h.get("allocate"):
            await allocate(h)
    await each(release(r) for r in data.get("releases", []))


async def wait_for_exhibits(demo: DemoClient, approved: set[str], role: str) -> None:
    """Exhibitions learns of approvals from registration's events: wait until it has them all."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + EXHIBITS_TIMEOUT
    while True:
        missing = approved - await approved_exhibits(demo, role)
        if not missing:
            return
        if loop.time() > deadline:
            raise DemoError(f"exhibitions has not heard of {len(missing)} approved achievements")
        await asyncio.sleep(0.2)


async def approved_exhibits(demo: DemoClient, role: str) -> set[str]:
    """The ids of every approved achievement exhibitions knows, page after page."""
    known: set[str] = set()
    offset = 0
    while True:
        page = await demo.get(
            "exhibitions", "/exhibits", role, status="approved", limit=200, offset=offset
        )
        known |= {e["achievement_id"] for e in page["items"]}
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            return known
