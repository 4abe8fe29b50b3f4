"""What a client generated from a service's OpenAPI document learns about refusals: each
operation lists the problems it can answer, all as application/problem+json. (That the
services never answer anything undocumented is checked by the fuzzing in tests/hostile.)"""

import importlib

import httpx
import pytest

from shared.launcher import installed_services
from shared.problems import PROBLEM_JSON
from tests.support import service_settings, token

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def document(service: str) -> dict:
    app = importlib.import_module(f"services.{service}.app").build(
        service_settings("nats://127.0.0.1:1")
    )
    return app.openapi()


def api_operations(doc: dict):
    for path, operations in doc["paths"].items():
        if path.startswith("/api/"):
            for method, operation in operations.items():
                yield method.upper(), path, operation


@pytest.mark.parametrize("service", installed_services())
def test_every_operation_lists_its_refusals_as_problems(service):
    doc = document(service)
    operations = list(api_operations(doc))
    assert operations
    for method, path, operation in operations:
        where = f"{service}: {method} {path}"
        responses = operation["responses"]
        refusals = {status for status in responses if status.startswith(("4", "5"))}
        assert {"401", "403"} <= refusals, where  # every /api operation needs a token
        if "{" in path:
            assert "404" in refusals, where
        if method != "GET":
            assert {"409", "422"} <= refusals, where
        for status in refusals:
            assert responses[status]["content"] == {PROBLEM_JSON: {"schema": PROBLEM}}, where
            assert responses[status]["description"], where
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's 422 shape is never sent
    assert schemas["Problem"]["required"] == ["type", "title", "status"]


def test_operations_without_a_token_or_input_list_no_such_refusal():
    doc = document("registration")
    assert set(doc["paths"]["/healthz"]["get"]["responses"]) == {"200"}


async def test_a_body_that_is_not_text_is_refused_naming_the_body():
    app = importlib.import_module("services.registration.app").build(
        service_settings("nats://127.0.0.1:1")
    )
    transport = httpx.ASGITransport(app=app)  # refused before anything is stored or sent
    async with httpx.AsyncClient(transport=transport, base_url="http://registration") as client:
        response = await client.post(
            "/api/v1/units",
            content=b"\xff\xfe\x00not utf-8",
            headers={"content-type": "application/json", **token("county:kongtong")},
        )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["errors"][0]["field"] == "body"
