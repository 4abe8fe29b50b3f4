"""A retry with the same Idempotency-Key replays the first answer: also when it overlaps the
first request, also when it reaches another replica of the service, also when the client wrote
the JSON members in another order. Never a business refusal of its own first attempt.
"""

import asyncio
import hashlib
import json
import uuid
from contextlib import AsyncExitStack

import pytest

from tests.support import (
    eventually,
    running_service,
    service_settings,
    stream_messages,
    token,
    unit_body,
)

pytestmark = pytest.mark.db

COMMITTEE = token("committee")
KONGTONG = token("county:kongtong", "kongtong-zhang")


async def replicas(stack: AsyncExitStack, service: str, settings, count: int = 2):
    """`count` instances of one service on one database, as replicas in two processes are."""
    return [
        await stack.enter_async_context(running_service(service, settings)) for _ in range(count)
    ]


def spread(replica_list, requests):
    """Send the requests round-robin over the replicas, all at once."""
    return asyncio.gather(
        *(make(replica_list[i % len(replica_list)].client) for i, make in enumerate(requests))
    )


async def test_overlapping_retries_on_two_replicas_replay_the_first_answer(
    nats_server, databases, tmp_path
):
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    body = unit_body(name="平凉市农业科学院")
    headers = KONGTONG | {"Idempotency-Key": "unit-form-17"}
    async with AsyncExitStack() as stack:
        first, second = await replicas(stack, "registration", settings)

        answers = await spread(
            [first, second],
            [lambda c: c.post("/api/v1/units", json=body, headers=headers)] * 8,
        )

        assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1
        assert (
            sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == [""] + ["true"] * 7
        )
        unit_id = answers[0].json()["id"]
        assert {a.headers["Location"] for a in answers} == {f"/api/v1/units/{unit_id}"}
        listed = (await first.client.get("/api/v1/units", headers=COMMITTEE)).json()
        assert [u["id"] for u in listed["items"]] == [unit_id]

        async def one_event_published() -> bool:
            counts = [(await r.runtime.relay.backlog())[0] for r in (first, second)]
            return counts == [0, 0]

        await eventually(one_event_published, timeout=30, what="the outbox drained")
    events = await stream_messages(nats_server.url, "expo.registration.unit.registered")
    assert [json.loads(m.data)["data"]["unit_id"] for m in events] == [unit_id]


async def test_overlapping_retries_of_a_move_replay_instead_of_refusing_it(
    nats_server, databases, tmp_path
):
    """Six identical `agreed` moves with one key: one move, six times its answer."""
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    async with AsyncExitStack() as stack:
        replica_list = await replicas(stack, "signings", settings)
        client = replica_list[0].client
        project = await client.post("/api/v1/projects", json=PROJECT, headers=COMMITTEE)
        assert project.status_code == 201, project.text
        path = f"/api/v1/projects/{project.json()['id']}/stage"
        moved = await client.post(path, json={"stage": "negotiating"}, headers=COMMITTEE)
        assert moved.status_code == 200, moved.text
        headers = COMMITTEE | {"Idempotency-Key": f"agree-{uuid.uuid4()}"}

        answers = await spread(
            replica_list,
            [lambda c: c.post(path, json={"stage": "agreed"}, headers=headers)] * 6,
        )

        assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
        assert {a.json()["stage"] for a in answers} == {"agreed"}
        log = (await client.get(f"{path.removesuffix('/stage')}/log", headers=COMMITTEE)).json()
        entries = log["items"] if isinstance(log, dict) else log
        assert [e["to_stage"] for e in entries].count("agreed") == 1


async def test_the_same_json_in_another_member_order_is_the_same_request(
    nats_server, databases, tmp_path
):
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    body = unit_body()
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2, ensure_ascii=False)
    headers = KONGTONG | {"Idempotency-Key": "unit-form-18"}
    async with running_service("registration", settings) as svc:
        first = await svc.client.post("/api/v1/units", json=body, headers=headers)
        again = await svc.client.post(
            "/api/v1/units",
            content=reordered.encode(),
            headers=headers | {"Content-Type": "application/json"},
        )
        other = await svc.client.post(
            "/api/v1/units", json=body | {"kind": "college"}, headers=headers
        )

    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422, other.text
    assert other.json()["errors"] == [
        {"field": "Idempotency-Key", "reason": other.json()["detail"]}
    ]


async def test_a_refused_request_is_not_kept_and_may_be_sent_again_with_its_key(
    nats_server, databases, tmp_path
):
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    headers = KONGTONG | {"Idempotency-Key": "unit-form-19"}
    async with running_service("registration", settings) as svc:
        taken = unit_body(name="平凉市第一中学")
        assert (await svc.client.post("/api/v1/units", json=taken, headers=KONGTONG)).is_success
        refused = await svc.client.post("/api/v1/units", json=taken, headers=headers)
        again = await svc.client.post("/api/v1/units", json=taken, headers=headers)

    assert refused.status_code == again.status_code == 409
    assert refused.json()["rule"] == again.json()["rule"] == "name_taken"
    assert "Idempotent-Replayed" not in again.headers


PROJECT = {
    "title": "苹果深加工技术转化",
    "county": "jingning",
    "local_party": "静宁县果业集团",
    "partner_name": "西北农林科技大学",
    "partner_kind": "college",
    "kind": "technology_transfer",
    "sector": "agriculture",
    "amount_cny": 12_000_000,
}


async def test_a_key_stored_before_fingerprints_were_canonical_still_replays(
    nats_server, databases, tmp_path
):
    """Version 1.0 hashed the raw body: a retry across the upgrade is still the same request."""
    from sqlalchemy import insert

    from shared.db import utcnow

    body = json.dumps(unit_body(name="平凉市林业科学研究所"), ensure_ascii=False).encode()
    stored = {"id": "5a3e1c52-7b0f-4f4e-8d21-9c6b0e4f7a33", "name": "平凉市林业科学研究所"}
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    async with running_service("registration", settings) as svc:
        async with svc.runtime.sessions() as session:
            await session.execute(
                insert(svc.runtime.idempotency).values(
                    principal="kongtong-zhang",  # the token's subject
                    key="unit-form-10",
                    fingerprint=hashlib.sha256(b"POST/api/v1/units" + body).hexdigest(),
                    status_code=201,
                    body=json.dumps(stored),
                    created_at=utcnow(),
                )
            )
            await session.commit()
        again = await svc.client.post(
            "/api/v1/units",
            content=body,
            headers=KONGTONG
            | {"Idempotency-Key": "unit-form-10", "Content-Type": "application/json"},
        )

    assert again.status_code == 201, again.text
    assert again.json() == stored
    assert again.headers["Location"] == f"/api/v1/units/{stored['id']}"


async def test_a_key_is_the_role_and_subjects_own_not_the_subjects(
    nats_server, databases, tmp_path
):
    """The same subject under another role replays nothing: it is authorized as itself."""
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    body = unit_body(name="平凉市畜牧技术推广中心")
    key = {"Idempotency-Key": "unit-form-20"}
    other_county_same_subject = token("county:huating", "kongtong-zhang")
    async with running_service("registration", settings) as svc:
        first = await svc.client.post("/api/v1/units", json=body, headers=KONGTONG | key)
        borrowed = await svc.client.post(
            "/api/v1/units", json=body, headers=other_county_same_subject | key
        )

    assert first.status_code == 201, first.text
    assert borrowed.status_code == 403, borrowed.text
    assert "Idempotent-Replayed" not in borrowed.headers
    assert "13800138000" not in borrowed.text
