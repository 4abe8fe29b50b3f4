"""Who may call what: every role against every endpoint of every service, checked against
the rules of README.md (and the services' check_may_* functions), written out below as one
table. The cases come from each app's routes, so an endpoint without a rule fails the test.

A refused request answers 401 (no, bad or expired token) or 403 and changes nothing; an
allowed one is never 401/403 (it may still be 404/409/422 for reasons of its own).
"""

import secrets
import time
import uuid

import jwt
import pytest

from shared.auth import ISSUER, issue, key_id
from shared.launcher import installed_services
from shared.revocations import revoke
from tests.hostile.harness import row_counts
from tests.hostile.seeds import SOON, release_body, seed
from tests.support import (
    TEST_SECRET,
    eventually,
    running_service,
    service_settings,
    token,
    unit_body,
)

pytestmark = pytest.mark.db

REVOKED = issue(TEST_SECRET, "committee", "committee-leaked")  # revoked before each test
OWN, OTHER = "county:kongtong", "county:huating"  # every record below belongs to kongtong
GROUPS = ["registration", "exhibition", "signing", "publicity", "coordination", "logistics"]
ROLES = ["committee", *(f"group:{g}" for g in GROUPS), OWN, OTHER, "ops", "integrator"]


def signed(claims: dict, secret: str = TEST_SECRET) -> dict[str, str]:
    """A token with these claims, signed as `expo token` signs (by default with the stack's key)."""
    now = int(time.time())
    claims = (
        {"iss": ISSUER, "sub": "kongtong-old", "role": OWN, "jti": uuid.uuid4().hex}
        | {
            "iat": now,
            "exp": now + 3600,
        }
        | claims
    )
    encoded = jwt.encode(claims, secret, algorithm="HS256", headers={"kid": key_id(TEST_SECRET)})
    return {"Authorization": f"Bearer {encoded}"}


NOW = int(time.time())
CALLERS = {role: token(role, f"{role}-matrix") for role in ROLES} | {
    "no token": {},
    "bad token": {"Authorization": "Bearer expo.e30.not-a-signature"},
    "expired token": signed({"iat": NOW - 7200, "exp": NOW - 3600}),
    "token for a century": signed({"exp": NOW + 100 * 365 * 86400}),
    "token issued tomorrow": signed({"iat": NOW + 86400, "exp": NOW + 2 * 86400}),
    "forged token": signed({"role": "committee"}, secret=secrets.token_urlsafe(32)),
    "revoked token": {"Authorization": f"Bearer {REVOKED.token}"},
}

# The rules, by who may: role kinds named as in README.md.
EVERYONE = set(ROLES)
COMMITTEE = {"committee"}
WITH_OWN = {OWN}
AUTHORS = {f"group:{g}" for g in GROUPS} | {OWN, OTHER}  # a county or a group, for its own


def group(*codes: str) -> set[str]:
    return {f"group:{code}" for code in codes}


REGISTRATION_READ = COMMITTEE | group("registration") | WITH_OWN
EXHIBITION_MANAGE = COMMITTEE | group("exhibition") | WITH_OWN
SIGNING_MANAGE = COMMITTEE | group("signing") | WITH_OWN
EDITORS = COMMITTEE | group("publicity")
GROUPS_AND_OPS = COMMITTEE | group(*GROUPS) | {"ops"}

ALLOWED: dict[str, dict[str, set[str]]] = {
    "registration": {
        "POST /api/v1/units": COMMITTEE | WITH_OWN,
        "PATCH /api/v1/units/{unit_id}": COMMITTEE | WITH_OWN,
        "GET /api/v1/units": REGISTRATION_READ,
        "GET /api/v1/units/{unit_id}": REGISTRATION_READ,
        "POST /api/v1/achievements": COMMITTEE | WITH_OWN,
        "PATCH /api/v1/achievements/{achievement_id}": COMMITTEE | WITH_OWN,
        "GET /api/v1/achievements": REGISTRATION_READ,
        "GET /api/v1/achievements/{achievement_id}": REGISTRATION_READ,
        "GET /api/v1/achievements/{achievement_id}/history": REGISTRATION_READ,
        "POST /api/v1/achievements/{achievement_id}/submit": COMMITTEE | WITH_OWN,
        "POST /api/v1/achievements/{achievement_id}/approve": COMMITTEE | group("registration"),
        "POST /api/v1/achievements/{achievement_id}/reject": COMMITTEE | group("registration"),
        "POST /api/v1/achievements/{achievement_id}/withdraw": COMMITTEE | WITH_OWN,
    },
    "exhibitions": {
        "POST /api/v1/halls": EXHIBITION_MANAGE,
        "GET /api/v1/halls": EVERYONE,  # the edition's [access] lists every role kind
        "GET /api/v1/halls/{hall_id}": EVERYONE,
        "GET /api/v1/halls/{hall_id}/log": EVERYONE,
        "POST /api/v1/halls/{hall_id}/stage": EXHIBITION_MANAGE,
        "POST /api/v1/halls/{hall_id}/inspections": COMMITTEE | group("exhibition"),
        "POST /api/v1/halls/{hall_id}/booths": EXHIBITION_MANAGE,
        "GET /api/v1/halls/{hall_id}/booths": EVERYONE,
        "POST /api/v1/booths/{booth_id}/assignment": EXHIBITION_MANAGE,
        "POST /api/v1/booths/{booth_id}/release": EXHIBITION_MANAGE,
        # another county's unapproved exhibits, asked for by name (kongtong's submitted ones)
        "GET /api/v1/exhibits": EVERYONE - {OTHER},
        "POST /api/v1/allocation-plans": EXHIBITION_MANAGE,
        "GET /api/v1/allocation-plans/{plan_id}": EVERYONE,
        "POST /api/v1/allocation-plans/{plan_id}/confirm": EXHIBITION_MANAGE,
        "POST /api/v1/releases": EXHIBITION_MANAGE,
        "GET /api/v1/releases": EVERYONE,
        "GET /api/v1/releases/{release_id}": EVERYONE,
        "POST /api/v1/releases/{release_id}/hold": EXHIBITION_MANAGE,
        "POST /api/v1/releases/{release_id}/cancel": EXHIBITION_MANAGE,
    },
    "signings": {
        "POST /api/v1/projects": SIGNING_MANAGE,
        "GET /api/v1/projects": SIGNING_MANAGE,
        "POST /api/v1/projects/{project_id}/stage": SIGNING_MANAGE,
        "POST /api/v1/projects/{project_id}/cancel": SIGNING_MANAGE,
        "GET /api/v1/projects/{project_id}": SIGNING_MANAGE,
        "GET /api/v1/projects/{project_id}/log": SIGNING_MANAGE,
        "GET /api/v1/totals": EVERYONE,
        "GET /api/v1/running-order": EVERYONE,
        "PUT /api/v1/running-order": COMMITTEE | group("signing"),
        "POST /api/v1/running-order/slots": COMMITTEE | group("signing"),
        "GET /api/v1/running-order/slots/{slot_id}": EVERYONE,
        "POST /api/v1/running-order/slots/{slot_id}/projects": COMMITTEE | group("signing"),
        "POST /api/v1/running-order/slots/{slot_id}/hold": COMMITTEE | group("signing"),
    },
    "publicity": {
        # The author is a county or a working group; the committee edits, it does not author.
        "POST /api/v1/items": AUTHORS,
        "GET /api/v1/items": AUTHORS | COMMITTEE,  # authors see their own
        "PATCH /api/v1/items/{item_id}": EDITORS | WITH_OWN,
        "GET /api/v1/items/{item_id}": EDITORS | WITH_OWN,
        "POST /api/v1/items/{item_id}/submit": EDITORS | WITH_OWN,
        "POST /api/v1/items/{item_id}/approve": EDITORS,
        "POST /api/v1/items/{item_id}/reject": EDITORS,
        "POST /api/v1/items/{item_id}/withdraw": EDITORS | WITH_OWN,
        "POST /api/v1/items/{item_id}/schedule": EDITORS,
        "POST /api/v1/items/{item_id}/publish": EDITORS,
        "POST /api/v1/items/{item_id}/corrections": EDITORS,
        "POST /api/v1/items/{item_id}/channels/{channel}/publication": EDITORS,
        "GET /api/v1/items/{item_id}/versions": EDITORS | WITH_OWN,
        "GET /api/v1/coverage": EVERYONE,
        "POST /api/v1/bulletins": AUTHORS,
        "GET /api/v1/bulletins": AUTHORS | COMMITTEE,
        "GET /api/v1/bulletins/{bulletin_id}": COMMITTEE | group("coordination") | WITH_OWN,
        "POST /api/v1/bulletins/{bulletin_id}/decision": COMMITTEE | group("coordination"),
        "GET /api/v1/bulletins/adoption": EVERYONE,
    },
    "reporting": {
        "GET /api/v1/status/units": EVERYONE,  # a county gets its own count
        "GET /api/v1/status": EVERYONE - {"integrator"},
        "GET /api/v1/status/{county}": EVERYONE - {"integrator", OTHER},
        "POST /api/v1/tasks": COMMITTEE | group("exhibition", "coordination"),
        "GET /api/v1/tasks": GROUPS_AND_OPS,
        "GET /api/v1/tasks/{task_id}": GROUPS_AND_OPS,
        "POST /api/v1/tasks/{task_id}/updates": COMMITTEE | group("exhibition", "coordination"),
        "GET /api/v1/tasks/{task_id}/updates": GROUPS_AND_OPS,
        # the group that named the person (the seed's: exhibition) and who manages every task
        "POST /api/v1/responsibles/{responsible_id}/erase": COMMITTEE
        | group("exhibition", "coordination"),
        "POST /api/v1/reports/{period}": AUTHORS,  # every county and group files its own
        "GET /api/v1/reports/matrix": AUTHORS | COMMITTEE,  # a county sees its own row
        "GET /api/v1/reports/{reporter}/{period}": COMMITTEE | group(*GROUPS) | WITH_OWN,
        "GET /api/v1/overdue": GROUPS_AND_OPS,
        "GET /api/v1/periods": EVERYONE,
        "POST /api/v1/briefings": COMMITTEE | group("coordination"),
        "GET /api/v1/briefings/{day}": GROUPS_AND_OPS,
        "PUT /api/v1/clock": COMMITTEE,
        "GET /api/v1/clock": EVERYONE,
    },
}


def request_for(operation: str, known: dict[str, list[str]], now: str) -> dict:
    """A well-formed request for a kongtong record: only who asks decides the answer."""
    method, path = operation.split(" ", 1)
    for name, values in known.items():
        path = path.replace("{" + name + "}", values[-1] if name == "achievement_id" else values[0])
    unique = uuid.uuid4().hex[:6]
    bodies = {
        "POST /api/v1/units": unit_body("kongtong"),
        "PATCH /api/v1/units/{unit_id}": {"contact_person": "李四"},
        "POST /api/v1/achievements": {
            "unit_id": known.get("unit_id", [""])[0],
            "title": f"成果-{unique}",
            "field": "agriculture",
            "maturity": "pilot",
            "floor_area_m2": 4,
        },
        "PATCH /api/v1/achievements/{achievement_id}": {"summary": "补充说明"},
        "POST /api/v1/achievements/{achievement_id}/reject": {"reason": "材料不全"},
        "POST /api/v1/halls": {
            "code": f"hall-{unique}",
            "name": "展厅",
            "kind": "county",
            "county": "kongtong",
        },
        "POST /api/v1/halls/{hall_id}/stage": {"stage": "designed"},
        "POST /api/v1/halls/{hall_id}/inspections": {"passed": False, "problems": ["消防通道"]},
        "POST /api/v1/halls/{hall_id}/booths": {"booths": [{"code": f"B-{unique}", "area_m2": 9}]},
        "POST /api/v1/booths/{booth_id}/assignment": {
            "achievement_id": known.get("achievement_id", [""])[-1]
        },
        "POST /api/v1/booths/{booth_id}/release": {"reason": "调整布局"},
        "POST /api/v1/allocation-plans": {"hall_id": known.get("hall_id", [""])[0]},
        "POST /api/v1/releases": release_body(
            known.get("presenting_unit_id", [""])[0],
            known.get("achievement_id", [""])[-1],
            hour=3 + int(unique, 16) % 40,
        ),
        "POST /api/v1/releases/{release_id}/cancel": {"reason": "时间冲突"},
        "POST /api/v1/projects": {
            "title": f"项目-{unique}",
            "county": "kongtong",
            "local_party": "崆峒区",
            "partner_name": "某公司",
            "partner_kind": "enterprise",
            "kind": "investment",
            "sector": "农业",
            "amount_cny": 1_000_000,
        },
        "POST /api/v1/projects/{project_id}/stage": {"stage": "negotiating"},
        "POST /api/v1/projects/{project_id}/cancel": {"reason": "对方撤回"},
        "PUT /api/v1/running-order": {"slot_ids": known.get("slot_id", [])},
        "POST /api/v1/running-order/slots": {
            "title": f"签约-{unique}",
            "starts_at": SOON.replace(minute=int(unique, 16) % 60).isoformat(),
        },
        "POST /api/v1/running-order/slots/{slot_id}/projects": {
            "project_id": known.get("project_id", [""])[0]
        },
        "POST /api/v1/items": {
            "title": f"稿件-{unique}",
            "kind": "news",
            "author_unit": "科技局",
            "body": "正文",
            "activity": "exhibition",
            "channels": ["newspaper"],
        },
        "PATCH /api/v1/items/{item_id}": {"title": "修改后的标题"},
        "POST /api/v1/items/{item_id}/reject": {"reason": "需要修改"},
        "POST /api/v1/items/{item_id}/withdraw": {"reason": "不再发布"},
        "POST /api/v1/items/{item_id}/schedule": {"embargo_until": SOON.isoformat()},
        "POST /api/v1/items/{item_id}/corrections": {"body": "更正后的正文", "note": "数字有误"},
        "POST /api/v1/items/{item_id}/channels/{channel}/publication": {
            "reference": "平凉日报 第2版"
        },
        "POST /api/v1/bulletins": {"title": f"信息-{unique}", "body": "工作动态"},
        "POST /api/v1/bulletins/{bulletin_id}/decision": {"adopted": True},
        "POST /api/v1/tasks": {
            "group": "exhibition",
            "title": f"任务-{unique}",
            "responsible": "exhibition-leader",
            "deadline": SOON.isoformat(),
            "quality_standard": "按时完成",
        },
        "POST /api/v1/tasks/{task_id}/updates": {"status": "in_progress", "progress": 50},
        "POST /api/v1/reports/{period}": {"done": "布展", "next": "验收", "rag": "green"},
        "POST /api/v1/briefings": {"day": "2020-08-01"},
        "PUT /api/v1/clock": {"now": now},
    }
    query = {
        "GET /api/v1/units": {"county": "kongtong"},
        "GET /api/v1/achievements": {"county": "kongtong"},
        "GET /api/v1/projects": {"county": "kongtong"},
        "GET /api/v1/exhibits": {"county": "kongtong", "status": "submitted"},
    }
    request = {"method": method, "url": path, "params": query.get(operation)}
    if operation in bodies:
        request["json"] = bodies[operation]
    elif method != "GET":
        request["json"] = None
    return request


def operations_of(document: dict) -> list[str]:
    return [
        f"{method.upper()} {path}"
        for path, methods in document["paths"].items()
        if path.startswith("/api/") or path == "/metrics"
        for method in methods
    ]


async def revoke_before(svc, nats_url: str) -> None:
    """The leaked committee token goes on the revocation list, as `expo token revoke` puts it."""
    await revoke(nats_url, REVOKED.token_id, REVOKED.expires_at, "matrix")
    await eventually(lambda: _known(svc), what="the revocation reached the service")


async def _known(svc) -> bool:
    return REVOKED.token_id in svc.runtime.revoked_tokens


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)  # rules, not storage
@pytest.mark.parametrize("service", installed_services())
@pytest.mark.finding(3, 5, 6, 8, 14)
async def test_every_role_on_every_endpoint_gets_what_the_rules_say(
    service, nats_server, databases, tmp_path, report_figure
):
    async with running_service(service, service_settings(nats_server.url, var_dir=tmp_path)) as svc:
        await revoke_before(svc, nats_server.url)
        known = await seed(service, svc)
        operations = operations_of((await svc.client.get("/openapi.json")).json())
        # Every county's business figures: for those who see every county anyway.
        rules = ALLOWED[service] | {"GET /metrics": COMMITTEE | {"ops"}}
        assert sorted(set(operations) - set(rules)) == [], "endpoints without a rule"
        assert sorted(set(rules) - set(operations)) == [], "rules for endpoints that are gone"
        now = (await svc.client.get("/api/v1/clock", headers=CALLERS["ops"])).json().get("now")

        wrong = []
        for operation in operations:
            # Refused callers first: an allowed one may move the record on (approve, cancel).
            for caller in sorted(CALLERS, key=lambda c: c in rules[operation]):
                request = request_for(operation, known, now or SOON.isoformat())
                json_body = request.pop("json", None)
                before = await row_counts(svc)
                response = await svc.client.request(
                    **request, json=json_body, headers=CALLERS[caller]
                )
                refused = response.status_code in (401, 403)
                allowed = caller in rules[operation]
                expected_status = {401} if caller not in ROLES else {403}
                if allowed and refused:
                    wrong.append(f"{caller} refused {operation}: {response.text}")
                elif not allowed and response.status_code not in expected_status:
                    wrong.append(f"{caller} got {response.status_code} on {operation}")
                elif not allowed and await row_counts(svc) != before:
                    wrong.append(f"{caller} was refused {operation} yet changed rows")
                assert response.status_code < 500, (caller, operation, response.text)
        assert wrong == [], "\n".join(wrong)
        report_figure(
            f"{service}: {len(operations)} endpoints x {len(CALLERS)} callers, each answered "
            "as the rules say; refusals changed no row"
        )


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
@pytest.mark.parametrize("service", installed_services())
@pytest.mark.finding(18)
async def test_a_county_the_edition_does_not_know_is_not_authenticated(
    service, nats_server, databases, tmp_path
):
    """A validly signed token for a county of another edition (tokens name any county)."""
    stranger = token("county:atlantis", "atlantis-li")
    async with running_service(service, service_settings(nats_server.url, var_dir=tmp_path)) as svc:
        known = await seed(service, svc)
        before = await row_counts(svc)
        answers = {}
        for operation in operations_of((await svc.client.get("/openapi.json")).json()):
            request = request_for(operation, known, SOON.isoformat())
            json_body = request.pop("json", None)
            response = await svc.client.request(**request, json=json_body, headers=stranger)
            answers[operation] = response.status_code
        # Not of this edition: not authenticated here, whatever it asks (it used to get 403s,
        # and reads that filter by county).
        assert set(answers.values()) == {401}, answers
        assert await row_counts(svc) == before


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
@pytest.mark.parametrize("service", installed_services())
@pytest.mark.finding(10)
async def test_a_stored_answer_is_replayed_to_its_own_caller_only(
    service, nats_server, databases, tmp_path
):
    """An Idempotency-Key belongs to the token's role and subject together, and a replay is
    authorized like the request: the same key and body from another county, group or role
    with the same subject never gets kongtong's stored answer (it held its contact phone)."""
    same_subject = {role: token(role, "zhang") for role in ROLES}
    async with running_service(service, service_settings(nats_server.url, var_dir=tmp_path)) as svc:
        known = await seed(service, svc)
        rules = ALLOWED[service]
        now = (await svc.client.get("/api/v1/clock", headers=CALLERS["ops"])).json().get("now")
        writes = [op for op in rules if not op.startswith("GET ") and OWN in rules[op]]
        assert writes, "no write of kongtong's to replay"
        wrong = []
        for operation in writes:
            request = request_for(operation, known, now or SOON.isoformat())
            key = {"Idempotency-Key": f"matrix-{uuid.uuid4()}"}
            stored = await svc.client.request(**request, headers=same_subject[OWN] | key)
            again = await svc.client.request(**request, headers=same_subject[OWN] | key)
            if stored.status_code < 300 and again.headers.get("Idempotent-Replayed") != "true":
                wrong.append(f"{OWN} got no replay of its own {operation}")
            for role in ROLES:
                if role == OWN:
                    continue
                answer = await svc.client.request(**request, headers=same_subject[role] | key)
                if answer.headers.get("Idempotent-Replayed") == "true":
                    wrong.append(f"{role} was replayed {OWN}'s answer to {operation}")
                if role not in rules[operation] and answer.status_code != 403:
                    wrong.append(f"{role} got {answer.status_code} replaying {operation}")
        assert wrong == [], "\n".join(wrong)
