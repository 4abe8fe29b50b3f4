"""Every operation under /api/ of every running service, generated from its OpenAPI document
by schemathesis and sent to the stack as `make run` starts it (the demo entered), as the
committee and as Kongtong's county office, with every check schemathesis has, and two of the
contract's own: every date-time answered is UTC written with `Z`, and every 409 names a rule
its service declares.

Derandomized with a fixed seed: a failure reproduces on the next run. Path parameters (and
body fields naming records) take, most of the time, ids of records the demo entered, so the
requests reach the rules behind the lookups instead of stopping at 404.

No check is configured away. Three rules JSON Schema cannot express (one time after another,
one day after another, codes unique within a list) are kept by the cases meant to be valid,
rather than turning off positive_data_acceptance for their operations: see
`keeping_rules_no_schema_can_say`.
"""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from shared.schemas import BLANKS
from tests.contract.conftest import ROLES, SERVICES
from tests.contract.document import Document

# The system tests' worker: the stack is shared with test_live_contract.py.
pytestmark = [pytest.mark.system, pytest.mark.xdist_group("contract"), pytest.mark.timeout(900)]

SEED = 20200828  # the launch day
# Generated examples per operation, on top of the examples and coverage phases (which are not
# bounded by it): the budget that keeps this file within a few minutes on two cores.
MAX_EXAMPLES = 25
# Body fields that name records, bound to the same ids as the path parameters of that name.
BODY_IDS = ("unit_id", "achievement_id", "hall_id", "project_id", "presenting_unit_id")

ISO_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(?P<offset>Z|z|[+-]\d{2}(:?\d{2})?)?$"
)


def date_times_not_in_utc_z(value, where: str = "$"):
    """(where, value) of every string in a JSON value that is an ISO 8601 date-time not
    written in UTC with `Z` (another offset, or none)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from date_times_not_in_utc_z(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from date_times_not_in_utc_z(item, f"{where}[{index}]")
    elif isinstance(value, str) and (found := ISO_DATE_TIME.match(value)):
        try:
            datetime.fromisoformat(value.replace("z", "Z"))
        except ValueError:
            return
        if found.group("offset") != "Z":
            yield where, value


def times_end_with_z(ctx, response, case):
    """Contract, times: every date-time a JSON answer gives is UTC and ends with Z."""
    content_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    if not (content_type == "application/json" or content_type.endswith("+json")):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None  # content_type_conformance and response_schema_conformance say why
    offenders = list(date_times_not_in_utc_z(body))
    assert not offenders, (
        f"{case.operation.label} -> {response.status_code}: date-times not in UTC with Z: "
        + ", ".join(f"{where}={value!r}" for where, value in offenders)
    )
    return None


def conflicts_name_a_declared_rule(ctx, response, case):
    """Contract, errors: every 409 carries a `rule` from its service's declared enum."""
    if response.status_code != 409:
        return None
    declared = Document("", case.operation.schema.raw_schema).declared_rules()
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    rule = body.get("rule") if isinstance(body, dict) else None
    assert rule in declared, (
        f"{case.operation.label} -> 409 with rule {rule!r}, not one of the declared {declared}: "
        f"{response.content[:300]!r}"
    )
    return None


CONTRACT_CHECKS = [times_end_with_z, conflicts_name_a_declared_rule]


def schemathesis_config(service: str, role: str, stack) -> SchemathesisConfig:
    known = stack.known.get(service, {})
    dictionaries = {name: {"values": values} for name, values in known.items() if values}
    parameters = {}
    for name in dictionaries:
        for where in ("path", "query"):
            parameters[f"{where}.{name}"] = {"dictionary": name, "probability": 0.8}
        if name in BODY_IDS:
            parameters[f"body.{name}"] = {"dictionary": name, "probability": 0.8}
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": ["all"],
            "dictionaries": dictionaries,
            "base-url": stack.urls[service],
            "headers": stack.headers(role),
            "parameters": parameters,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                "mode": "all",
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
            },
            "checks": {"enabled": True},  # every check there is
            "request-timeout": 30,
        }
    )


@pytest.fixture(
    params=[(service, role) for service in SERVICES for role in ROLES],
    ids=[f"{service}-{role}" for service in SERVICES for role in ROLES],
)
def api_schema(request, expo_stack):
    service, role = request.param
    config = schemathesis_config(service, role, expo_stack)
    return schemathesis.openapi.from_url(f"{expo_stack.urls[service]}/openapi.json", config=config)


schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex=r"^/api/")


def with_a_key_of_its_own(case) -> None:
    """A schema-valid Idempotency-Key made unique to this request. Generated keys repeat (the
    same few short strings for every operation), and a key already used for another request is
    refused, as it must be: that refusal says nothing about the data, so it is kept out of the
    checks that judge the data (positive_data_acceptance). A key generated invalid is kept."""
    names = [name for name in case.headers or {} if name.lower() == "idempotency-key"]
    if names and not (case.meta and case.meta.is_negative_at(ParameterLocation.HEADER)):
        case.headers[names[0]] = uuid.uuid4().hex


def _instant(value) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else None


def keeping_rules_no_schema_can_say(case) -> None:
    """A case meant to be valid made to keep the rules that compare one value with another,
    which JSON Schema cannot express: a release session ends after it starts (POST /releases),
    an adoption count's `until` is not before its `since`, the booths added to a hall in one
    request have different codes (uniqueItems compares whole booths, not their codes). Sent as
    generated, such a case is refused with a 422 that is right, and positive_data_acceptance
    would call it valid data rejected; this keeps that check on for everything else these
    operations refuse."""
    label, meta = case.operation.label, case.meta
    if label == "GET /api/v1/bulletins/adoption":
        if case.query and not (meta and meta.is_negative_at(ParameterLocation.QUERY)):
            since, until = case.query.get("since"), case.query.get("until")
            if isinstance(since, str) and isinstance(until, str) and until < since:
                case.query["since"], case.query["until"] = until, since
        return
    if not isinstance(case.body, dict) or (meta and meta.is_negative_at(ParameterLocation.BODY)):
        return
    if label == "POST /api/v1/releases":
        starts, ends = _instant(case.body.get("starts_at")), _instant(case.body.get("ends_at"))
        if starts is not None and ends is not None and ends <= starts:
            try:
                case.body["ends_at"] = (starts + timedelta(hours=1)).astimezone(UTC).isoformat()
            except OverflowError:  # the last hour of year 9999
                case.body["starts_at"] = (ends - timedelta(hours=1)).astimezone(UTC).isoformat()
    elif label == "POST /api/v1/halls/{hall_id}/booths":
        booths = case.body.get("booths")
        if isinstance(booths, list) and all(isinstance(b, dict) for b in booths):
            first_of_each_code = {}
            for booth in booths:  # codes are compared as the service keeps them: trimmed
                code = booth.get("code")
                trimmed = code.strip(BLANKS) if isinstance(code, str) else code
                first_of_each_code.setdefault(trimmed, booth)
            case.body["booths"] = list(first_of_each_code.values())


@schema.parametrize()
def test_every_operation_answers_as_documented(case):
    with_a_key_of_its_own(case)
    keeping_rules_no_schema_can_say(case)
    case.call_and_validate(additional_checks=CONTRACT_CHECKS)
