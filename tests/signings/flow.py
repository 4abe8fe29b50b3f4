"""What the signings tests share: a project's body, and helpers that drive projects and slots
over HTTP and read what reached the bus."""

import json

from tests.support import stream_messages, token

API = "/api/v1"


def project_body(county: str = "kongtong", amount: int = 12_345_678, **overrides) -> dict:
    return {
        "title": "苹果深加工技术转化",
        "county": county,
        "local_party": "静宁县果品公司",
        "partner_name": "西北农林科技大学",
        "partner_kind": "college",
        "kind": "technology_transfer",
        "sector": "agriculture",
        "amount_cny": amount,
    } | overrides


async def propose(svc, county="kongtong", **overrides) -> dict:
    answer = await svc.client.post(
        "/api/v1/projects",
        json=project_body(county, **overrides),
        headers=token(f"county:{county}"),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def move(svc, project, stage, role="committee", reason=None):
    body = {"stage": stage} | ({"reason": reason} if reason else {})
    return await svc.client.post(
        f"/api/v1/projects/{project['id']}/stage", json=body, headers=token(role)
    )


async def agreed(svc, county="kongtong", **overrides) -> dict:
    project = await propose(svc, county, **overrides)
    for stage in ("negotiating", "agreed"):
        assert (await move(svc, project, stage, f"county:{county}")).status_code == 200
    return project


async def slot(svc, title: str, starts_at: str) -> str:
    """A new ceremony slot (as the signing group); its id."""
    answer = await svc.client.post(
        f"{API}/running-order/slots",
        json={"title": title, "starts_at": starts_at},
        headers=token("group:signing"),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


async def events(nats_server) -> list[dict]:
    return [json.loads(m.data) for m in await stream_messages(nats_server.url, "expo.signings.>")]


async def show(svc, project: dict) -> dict:
    answer = await svc.client.get(f"{API}/projects/{project['id']}", headers=token("committee"))
    assert answer.status_code == 200, answer.text
    return answer.json()
