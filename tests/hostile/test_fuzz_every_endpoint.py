"""Every operation of every service's OpenAPI document, fuzzed with schemathesis against the
real app (real database, real nats-server), as the committee and as a county office.

Whatever arrives: never a 5xx; a success has the documented status and body; an error is
problem+json with a 4xx status; a request the schema forbids is refused; and a refused
request changes nothing (no row, no event in the outbox).
"""

import asyncio

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from shared.launcher import installed_services
from tests.hostile.harness import LoopBridge, row_counts, settled_row_counts
from tests.hostile.seeds import COMMITTEE, KONGTONG, seed
from tests.support import running_service, service_settings, unit_body

pytestmark = pytest.mark.db

# Examples per operation: enough to reach every validator, few enough to stay well under a
# minute for all five services.
EXAMPLES = {
    ("committee", GenerationMode.POSITIVE): 5,
    ("committee", GenerationMode.NEGATIVE): 3,
    ("county", GenerationMode.POSITIVE): 2,
}
CALLERS = {"committee": COMMITTEE, "county": KONGTONG}
# Statuses a refusal may have: bad input, no or bad token, forbidden, unknown, rule or conflict.
REFUSALS = {400, 401, 403, 404, 405, 409, 413, 422}
# Every answer, success or refusal, is one the OpenAPI document lists, in its documented shape.
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]
SUCCESS_CHECKS = [not_a_server_error, *CONFORMANCE]


def api_operations(schema):
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/api/"):
            yield operation


def with_known_ids(operation, mode: GenerationMode, known: dict[str, list[str]]):
    """Cases whose path parameters are, most of the time, records that exist."""
    names = [p.name for p in operation.path_parameters if p.name in known]
    choices = st.fixed_dictionaries(
        {name: st.one_of(st.sampled_from(known[name]), st.none()) for name in names}
    )

    def combine(case_and_ids):
        case, ids = case_and_ids
        for name, value in ids.items():
            if value is not None and mode is GenerationMode.POSITIVE:
                case.path_parameters[name] = value
        return case

    return st.tuples(operation.as_strategy(generation_mode=mode), choices).map(combine)


class Fuzzer:
    """Sends generated cases from a worker thread to the app on the test's event loop."""

    def __init__(self, svc, bridge: LoopBridge) -> None:
        self.svc, self.bridge = svc, bridge
        self.sent = 0
        self.statuses: dict[int, int] = {}

    def send(self, case, headers: dict[str, str]) -> httpx.Response:
        kwargs = case.as_transport_kwargs(base_url="http://fuzz")
        request_headers = {**(kwargs.get("headers") or {}), **headers}
        body = {}
        if "json" in kwargs:
            body["json"] = kwargs["json"]
        elif kwargs.get("data") is not None:
            body["content"] = kwargs["data"]
        return self.bridge.run(
            self.svc.client.request(
                kwargs["method"],
                kwargs["url"].replace("http://fuzz", ""),
                params=kwargs.get("params"),
                headers=request_headers,
                **body,
            )
        )

    def check(self, case, mode: GenerationMode, headers: dict[str, str]) -> None:
        before = self.bridge.run(row_counts(self.svc))
        response = self.send(case, headers)
        self.sent += 1
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        where = f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text}"
        assert response.status_code < 500, where
        if response.status_code < 300:
            # A schema-breaking request that was accepted is invalid data let in.
            rejection = [negative_data_rejection] if mode is GenerationMode.NEGATIVE else []
            case.validate_response(response, checks=SUCCESS_CHECKS + rejection)
            return
        assert response.status_code in REFUSALS, where
        assert response.headers["content-type"] == "application/problem+json", where
        assert response.json()["status"] == response.status_code, where
        rejection = [negative_data_rejection] if mode is GenerationMode.NEGATIVE else []
        case.validate_response(response, checks=CONFORMANCE + rejection)
        after = self.bridge.run(row_counts(self.svc))
        assert after == before, f"refused, yet it changed rows: {where}"


def fuzz_one(fuzzer: Fuzzer, operation, caller: str, mode: GenerationMode, known) -> None:
    @settings(
        max_examples=EXAMPLES[caller, mode],
        derandomize=True,  # the same cases on every run: a failure in CI reproduces
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=with_known_ids(operation, mode, known))
    def run(case):
        fuzzer.check(case, mode, CALLERS[caller])

    try:
        run()
    except Unsatisfiable:
        # Nothing of this operation can be made invalid (no parameters, no body).
        assert mode is GenerationMode.NEGATIVE, f"no case for {operation.label}"


def fuzz(fuzzer: Fuzzer, schema, known: dict[str, list[str]]) -> None:
    for operation in api_operations(schema):
        for caller, mode in EXAMPLES:
            fuzz_one(fuzzer, operation, caller, mode, known)


@pytest.mark.parametrize("service", installed_services())
async def test_every_endpoint_survives_fuzzing(
    service, nats_server, databases, tmp_path, report_figure
):
    # Background work (reporting's scheduler, publicity's pushes) runs once at start, then only
    # when a request asks (PUT /clock runs the scheduler itself): a row it wrote in the middle
    # of a refused request would read as the refusal's doing.
    settings_ = service_settings(nats_server.url, var_dir=tmp_path, background_poll_interval=3600)
    async with running_service(service, settings_) as svc:
        known = await seed(service, svc)
        document = (await svc.client.get("/openapi.json")).json()
        schema = schemathesis.openapi.from_dict(document)
        fuzzer = Fuzzer(svc, LoopBridge(asyncio.get_running_loop()))
        await asyncio.to_thread(fuzz, fuzzer, schema, known)
        statuses = ", ".join(f"{code} x{n}" for code, n in sorted(fuzzer.statuses.items()))
        report_figure(
            f"{service} [{databases}]: {fuzzer.sent} generated requests, answered {statuses};"
            " no 5xx, every answer as documented, refusals changed no row"
        )
        # Hypothesis stops early where there is little to vary (no parameters, no body).
        assert fuzzer.sent >= len(EXAMPLES) * len(list(api_operations(schema)))


NUL_REQUESTS = {
    "body field": ("registration", "POST", "/api/v1/units", unit_body(name="平凉\x00单位")),
    "field in a list": (
        "registration",
        "PATCH",
        "/api/v1/achievements/5a3e1c52-7b0f-4f4e-8d21-9c6b0e4f7a33",
        {"patents": ["ZL2019\x001234"]},
    ),
    "query": ("exhibitions", "GET", "/api/v1/releases?venue=%00", None),
    "path": ("reporting", "GET", "/api/v1/reports/county:kongtong/W2020-07-20%00", None),
}


@pytest.mark.parametrize("case", NUL_REQUESTS.values(), ids=NUL_REQUESTS.keys())
async def test_a_nul_character_is_refused_as_invalid_input(case, nats_server, databases, tmp_path):
    """PostgreSQL cannot hold a NUL character in text: it used to fail there with a 500."""
    service, method, url, body = case
    async with running_service(service, service_settings(nats_server.url, var_dir=tmp_path)) as svc:
        before = await settled_row_counts(svc)
        response = await svc.client.request(method, url, json=body, headers=COMMITTEE)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "NUL" in response.json()["detail"]
        assert await row_counts(svc) == before
