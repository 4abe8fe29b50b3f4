"""Working-group tasks with their progress, and written reports as each reporter filed them."""

import asyncio
from functools import partial

from shared.demo.client import DemoClient, DemoError, each

SETTLE_TIMEOUT = 60.0


async def enter(demo: DemoClient, data: dict) -> None:
    post = partial(demo.post, "reporting")

    async def task(t: dict) -> None:
        key, group = f"task:{t['key']}", f"group:{t['group']}"
        body = {
            "group": t["group"],
            "title": t["title"],
            "responsible": t["responsible"],
            "deadline": t["deadline"].isoformat(),
            "quality_standard": t["quality"],
        }
        made = await post("/tasks", group, key, body, "tasks")
        # Each update: [status, progress %, note] and, for a blocked task, why.
        for n, (status, progress, note, *blocked) in enumerate(t.get("updates", []), start=1):
            body = {"status": status, "progress": progress, "note": note or None}
            if blocked:
                body["blocked_reason"] = blocked[0]
            await post(f"/tasks/{made['id']}/updates", group, f"{key}:update-{n}", body)

    async def report(r: dict) -> None:
        body = {
            "done": r["done"],
            "next": r["next"],
            "rag": r["rag"],
            "problems": r.get("problems", ""),
        }
        key = f"report:{r['reporter']}:{r['period']}"
        await post(f"/reports/{r['period']}", r["reporter"], key, body, "written reports")

    await each([*map(task, data.get("tasks", [])), *map(report, data.get("reports", []))])


async def reissue_todays_briefing(demo: DemoClient) -> None:
    """The scheduler issued this morning's briefing when reporting started, before the demo was
    entered: once every event has reached reporting, the coordination group issues it again."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_TIMEOUT
    while not await demo.settled():
        if loop.time() > deadline:
            raise DemoError("reporting has not caught up with the demo's events")
        await asyncio.sleep(0.2)
    today = (await demo.get("reporting", "/clock", "committee"))["today"]  # the local day
    body = {"day": today, "reissue": True}
    await demo.post(
        "reporting", "/briefings", demo.group("coordination"), f"briefing:{today}", body
    )
