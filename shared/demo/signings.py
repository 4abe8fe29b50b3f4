"""The ceremony running order and signing projects, each moved to the stage the file gives."""

from functools import partial

from shared.demo.client import DemoClient, each

# The moves that take a new project to each stage (scheduled and signed come from the slots).
MOVES = {
    "proposed": [],
    "negotiating": ["negotiating"],
    "agreed": ["negotiating", "agreed"],
    "scheduled": ["negotiating", "agreed"],
    "signed": ["negotiating", "agreed"],
}


async def enter(demo: DemoClient, data: dict) -> None:
    post = partial(demo.post, "signings")
    manager = demo.group("signings")

    async def project(p: dict) -> None:
        key = f"project:{p['key']}"
        body = {
            "title": p["title"],
            "county": p["county"],
            "local_party": p["local_party"],
            "partner_name": p["partner"],
            "partner_kind": p["partner_kind"],
            "kind": p["kind"],
            "sector": p["sector"],
            "amount_cny": p["amount"],
        }
        made = await post("/projects", f"county:{p['county']}", key, body, "signing projects")
        path = f"/projects/{made['id']}"
        if p["stage"] == "cancelled":
            await post(f"{path}/cancel", manager, f"{key}:cancel", {"reason": p["reason"]})
            return
        # A project sent back from agreed to negotiation got to agreed first.
        for move in MOVES["agreed"] if p.get("back") else MOVES[p["stage"]]:
            await post(f"{path}/stage", manager, f"{key}:{move}", {"stage": move})
        if p.get("back"):
            body = {"stage": "negotiating", "reason": p["back"]}
            await post(f"{path}/stage", manager, f"{key}:back", body)
        if p.get("slot"):
            slot = demo.ids[f"slot:{p['slot']}"]
            body = {"project_id": made["id"]}
            await post(f"/running-order/slots/{slot}/projects", manager, f"{key}:slot", body)

    for s in data.get("slots", []):
        body = {"title": s["title"], "starts_at": s["starts"].isoformat()}
        made = await post(
            "/running-order/slots", manager, f"slot:{s['key']}", body, "ceremony slots"
        )
        if isinstance(made, list):  # replayed from a run before slots answered themselves
            made = next(o for o in made if o["title"] == s["title"])
        demo.ids[f"slot:{s['key']}"] = made["id"]
    await each(project(p) for p in data.get("projects", []))
    for s in data.get("slots", []):  # holding a slot signs the projects in it
        if s.get("held"):
            key = f"slot:{s['key']}"
            await post(f"/running-order/slots/{demo.ids[key]}/hold", manager, f"{key}:hold")
