"""Units and their achievements, each walked to the review status the demo file gives."""

from functools import partial

from shared.demo.client import DemoClient, each

UNIT_FIELDS = ("county", "name", "kind", "contact_person", "contact_phone")


async def enter(demo: DemoClient, data: dict) -> None:
    post = partial(demo.post, "registration")
    county_of = {u["key"]: u["county"] for u in data.get("units", [])}
    reviewer = demo.group("achievement_review")

    async def unit(u: dict) -> None:
        body = {name: u[name] for name in UNIT_FIELDS}
        made = await post("/units", f"county:{u['county']}", f"unit:{u['key']}", body, "units")
        demo.ids[u["key"]] = made["id"]

    async def achievement(a: dict) -> None:
        county, key = f"county:{county_of[a['unit']]}", f"achievement:{a['key']}"
        body = {
            "unit_id": demo.ids[a["unit"]],
            "title": a["title"],
            "field": a["field"],
            "maturity": a["maturity"],
            "floor_area_m2": a["area"],
            "power_kw": a.get("power", 0),
            "live_demo": a.get("live_demo", False),
            "patents": a.get("patents", []),
        }
        made = await post("/achievements", county, key, body, "achievements")
        demo.ids[a["key"]] = made["id"]
        path, status = f"/achievements/{made['id']}", a["status"]
        if status == "draft":
            return
        await post(f"{path}/submit", county, f"{key}:submit")
        if status == "approved":
            await post(f"{path}/approve", reviewer, f"{key}:approve")
        elif status == "rejected":
            await post(f"{path}/reject", reviewer, f"{key}:reject", {"reason": a["reason"]})
        elif status == "withdrawn":
            await post(f"{path}/withdraw", county, f"{key}:withdraw")

    await each(unit(u) for u in data.get("units", []))
    await each(achievement(a) for a in data.get("achievements", []))
