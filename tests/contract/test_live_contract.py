"""The API contract, live: what every running service answers to requests it cannot serve (an
unknown path, a wrong method, a malformed or oversized body, a filter value outside its set).

Against the whole stack started as `make run` starts it (tests/contract/conftest.py).
"""

import json
import uuid

import httpx
import pytest

from tests.contract.conftest import SERVICES, document
from tests.contract.document import FILTERS, PROBLEM_JSON, Operation, is_json

# The system tests' worker: this starts a whole stack, and shares it with test_schemathesis.py.
pytestmark = [pytest.mark.system, pytest.mark.xdist_group("contract"), pytest.mark.timeout(600)]

by_service = pytest.mark.parametrize("service", SERVICES)
ONE_MIB = 1024 * 1024
PROBING_ORDER = ("DELETE", "PATCH", "PUT", "POST", "GET")


@pytest.fixture
def http(expo_stack):
    with httpx.Client(headers=expo_stack.headers(), timeout=30) as client:
        yield client


def assert_problem(response: httpx.Response, status: int, where: str) -> dict:
    said = f"{where} -> {response.status_code} {response.headers.get('content-type')}: {response.text[:300]}"
    assert response.status_code == status, said
    assert response.headers.get("content-type", "").split(";")[0] == PROBLEM_JSON, said
    body = response.json()
    assert body.get("status") == status, said
    assert isinstance(body.get("type"), str) and body["type"].startswith("/problems/"), said
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), said
    return body


def concrete(path: str, doc, operation: Operation) -> str:
    """The path with each parameter given a value of its type (a random id for an id, its
    example where the route matches only a pattern, as a period's code)."""
    for parameter in doc.parameters(operation):
        if parameter.get("in") == "path":
            schema = doc.resolve(parameter.get("schema") or {})
            value = str(uuid.uuid4()) if schema.get("format") == "uuid" else "x-contract"
            if schema.get("pattern") and schema.get("examples"):
                value = str(schema["examples"][0])
            path = path.replace("{" + parameter["name"] + "}", value)
    return path


@by_service
def test_an_unknown_path_is_a_404_problem(service, expo_stack, http):
    url = f"{expo_stack.urls[service]}/api/v1/no-such-thing"
    assert_problem(http.get(url), 404, f"{service} GET /api/v1/no-such-thing")


@by_service
def test_a_wrong_method_is_a_405_problem_saying_what_is_allowed(service, expo_stack, http):
    doc = document(service)
    offenders = []
    first_by_path = {}
    for op in doc.operations():
        first_by_path.setdefault(op.path, op)
    for path, op in first_by_path.items():
        # As OpenAPI matches paths: a path without parameters (/reports/matrix) is itself, not
        # also the template beside it (/reports/{period}); the Allow of a path is its own.
        documented = doc.methods_of(path)
        method = next(m for m in PROBING_ORDER if m not in documented)
        where = f"{service} {method} {path}"
        response = http.request(method, expo_stack.urls[service] + concrete(path, doc, op))
        try:
            body = assert_problem(response, 405, where)
        except AssertionError as failed:
            offenders.append(str(failed).splitlines()[0])
            continue
        if body.get("type") != "/problems/method-not-allowed":
            offenders.append(f"{where}: type is {body.get('type')!r}")
        allow = {
            m.strip().upper() for m in response.headers.get("allow", "").split(",") if m.strip()
        }
        if missing := documented - allow:
            offenders.append(f"{where}: Allow {sorted(allow)} omits {sorted(missing)}")
        if extra := allow - documented - {"HEAD"}:
            offenders.append(f"{where}: Allow {sorted(allow)} names undocumented {sorted(extra)}")
    assert not offenders, "\n".join(offenders)


def json_writes(doc) -> list[Operation]:
    """Operations that take a JSON body."""
    found = []
    for op in doc.operations():
        body = doc.resolve(op.spec.get("requestBody") or {})
        if op.writes and any(is_json(t) for t in body.get("content") or {}):
            found.append(op)
    return found


@by_service
def test_a_malformed_json_body_is_a_422_naming_the_body(service, expo_stack, http):
    doc = document(service)
    offenders = []
    for op in json_writes(doc):
        where = f"{service} {op.method} {op.path}"
        response = http.request(
            op.method,
            expo_stack.urls[service] + concrete(op.path, doc, op),
            content=b'{"name": "unterminated',
            headers={"Content-Type": "application/json"},
        )
        try:
            body = assert_problem(response, 422, where)
        except AssertionError as failed:
            offenders.append(str(failed).splitlines()[0])
            continue
        fields = [e.get("field") for e in body.get("errors") or []]
        if "body" not in fields:
            offenders.append(f"{where}: errors name {fields}, not 'body'")
    assert not offenders, "\n".join(offenders)


@by_service
def test_a_body_over_one_mib_is_a_413_problem(service, expo_stack, http):
    doc = document(service)
    writes = json_writes(doc)
    assert writes, f"{service} takes no JSON body"
    op = writes[0]
    body = json.dumps({"text": "x" * (ONE_MIB + 1)}).encode()
    response = http.request(
        op.method,
        expo_stack.urls[service] + concrete(op.path, doc, op),
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert_problem(response, 413, f"{service} {op.method} {op.path} with {len(body)} bytes")


def a_filtered_list(doc) -> tuple[Operation, str] | None:
    """A list (a GET without path parameters) and the filter it takes, `status` by preference."""
    candidates = []
    for op in doc.operations():
        if op.method == "GET" and "{" not in op.path:
            for name in doc.query_parameters(op):
                if name in FILTERS:
                    candidates.append((name != "status", op.path, op, name))
    return min(candidates, key=lambda c: c[:2])[2:] if candidates else None


@by_service
def test_a_filter_value_outside_its_set_is_a_422(service, expo_stack, http):
    found = a_filtered_list(document(service))
    if found is None:
        pytest.skip(f"{service} has no list with a filter")
    op, name = found
    where = f"{service} GET {op.path}?{name}=aproved"
    response = http.get(expo_stack.urls[service] + op.path, params={name: "aproved"})
    body = assert_problem(response, 422, where)
    fields = [e.get("field") for e in body.get("errors") or []]
    assert name in fields, f"{where}: errors name {fields}, not {name!r}"
