"""Publicity items walked through editorial review to their status, and bulletins decided."""

from functools import partial

from shared.demo.client import DemoClient, each

ITEM_FIELDS = ("title", "kind", "author_unit", "activity", "channels")


async def enter(demo: DemoClient, data: dict) -> None:
    post = partial(demo.post, "publicity")
    editor = demo.group("publicity")

    async def item(i: dict) -> None:
        key, author, status = f"item:{i['key']}", i["author"], i["status"]
        body = {name: i[name] for name in ITEM_FIELDS} | {
            k: i[k] for k in ("body", "link") if k in i
        }
        made = await post("/items", author, key, body, "publicity items")
        path = f"/items/{made['id']}"
        if status == "draft":
            return
        await post(f"{path}/submit", author, f"{key}:submit")
        if status == "withdrawn":
            await post(f"{path}/withdraw", author, f"{key}:withdraw", {"reason": i["reason"]})
        elif status == "rejected":
            await post(f"{path}/reject", editor, f"{key}:reject", {"reason": i["reason"]})
        elif status != "submitted":
            await post(f"{path}/approve", editor, f"{key}:approve")
        if status == "scheduled":
            body = {"embargo_until": i["embargo"].isoformat()}
            await post(f"{path}/schedule", editor, f"{key}:schedule", body)
        elif status == "published":
            await post(f"{path}/publish", editor, f"{key}:publish")
            for channel, where in i.get("publications", {}).items():
                # Where it appeared, as a reference, as the demo has always sent it: a body
                # that changed would be another request for the step's Idempotency-Key, and a
                # preparation entered by an earlier version could not be entered again.
                body = {"reference": where}
                await post(
                    f"{path}/channels/{channel}/publication", editor, f"{key}:{channel}", body
                )
            if correction := i.get("correction"):
                await post(f"{path}/corrections", editor, f"{key}:correction", correction)

    async def bulletin(b: dict) -> None:
        key = f"bulletin:{b['key']}"
        body = {"title": b["title"], "body": b["body"]}
        made = await post("/bulletins", b["author"], key, body, "bulletins")
        if decision := b.get("decision"):
            body = {"adopted": decision == "adopted"} | (
                {"reason": b["reason"]} if "reason" in b else {}
            )
            await post(
                f"/bulletins/{made['id']}/decision",
                demo.group("coordination"),
                f"{key}:decision",
                body,
            )

    await each([*map(item, data.get("items", [])), *map(bulletin, data.get("bulletins", []))])
