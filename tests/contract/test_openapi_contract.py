"""The API contract every service follows, read from its OpenAPI document (no server needed).

One test per rule, for every service; each collects every operation at fault, so one run shows
them all. What the document promises is checked live in test_live_contract.py and
test_schemathesis.py.
"""

import re

import pytest

from shared.settings import REPO_ROOT
from tests.contract.conftest import SERVICES, document
from tests.contract.document import FILTERS, PAGE_FIELDS, PROBLEM_JSON, PROBLEM_REF, types_of

PROBLEM_FIELDS = ("type", "title", "status", "detail", "instance", "errors", "rule", "allowed")
# A business rule named where it is raised: RuleViolated(..., rule="transition").
RULE_RAISED = re.compile(r"""\brule\s*=\s*["']([a-z][a-z0-9_]*)["']""")
# What the Idempotency-Key's description must say: what a retry with the same key gets back.
SAYS_WHAT_A_REPLAY_RETURNS = re.compile(r"\b(returns?|replays?|answers? again)\b", re.I)
SAYS_WHAT_COMES_BACK = re.compile(r"\b(answer|response|result)s?\b", re.I)

by_service = pytest.mark.parametrize("service", SERVICES)


def assert_none(offenders: list[str]) -> None:
    assert not offenders, f"{len(offenders)} at fault:\n" + "\n".join(offenders)


# 1. Errors ---------------------------------------------------------------------------------


@by_service
def test_every_documented_refusal_is_a_problem(service):
    doc = document(service)
    offenders = []
    for op in doc.operations(api_only=False):
        for status, response in doc.responses(op).items():
            if not status.upper().startswith("4"):
                continue
            content = response.get("content") or {}
            others = sorted(set(content) - {PROBLEM_JSON})
            if PROBLEM_JSON not in content:
                offenders.append(f"{op}: {status} is not documented as {PROBLEM_JSON}")
            elif content[PROBLEM_JSON].get("schema") != {"$ref": PROBLEM_REF}:
                schema = content[PROBLEM_JSON].get("schema")
                offenders.append(f"{op}: {status}'s schema is {schema}, not $ref {PROBLEM_REF}")
            if others:
                offenders.append(f"{op}: {status} is also documented as {', '.join(others)}")
    assert_none(offenders)


@by_service
def test_the_problem_schema_declares_the_rules_and_the_allowed_moves(service):
    doc = document(service)
    problem = doc.problem_schema()
    assert problem is not None, f"{service}: no components.schemas.Problem"
    properties = problem.get("properties") or {}
    offenders = [
        f"{service} Problem: declares no property {name!r}"
        for name in PROBLEM_FIELDS
        if name not in properties
    ]
    if "rule" in properties:
        rule = doc.resolve(properties["rule"])
        branches = doc.branches(rule)
        if not branches or any(types_of(b) != {"string"} for b in branches):
            offenders.append(f"{service} Problem: rule is {rule}, not a string")
        rules = doc.declared_rules()
        if not rules or not all(isinstance(r, str) for r in rules):
            offenders.append(f"{service} Problem: rule declares no enum of rule names ({rule})")
        raised = set()
        for source in (REPO_ROOT / "services" / service).rglob("*.py"):
            raised |= set(RULE_RAISED.findall(source.read_text()))
        for name in sorted(raised - set(rules)):
            offenders.append(f"{service} Problem: rule {name!r} is raised but not in rule's enum")
    if "allowed" in properties:
        allowed = doc.resolve(properties["allowed"])
        branches = doc.branches(allowed)
        items = [doc.resolve(b.get("items") or {}) for b in branches]
        if (
            not branches
            or any(types_of(b) != {"array"} for b in branches)
            or any(types_of(i) != {"string"} for i in items)
        ):
            offenders.append(f"{service} Problem: allowed is {allowed}, not an array of strings")
    assert_none(offenders)


@by_service
def test_every_write_documents_a_409(service):
    doc = document(service)
    offenders = [
        f"{op}: documents no 409"
        for op in doc.operations(api_only=False)
        if op.writes and "409" not in doc.responses(op)
    ]
    assert_none(offenders)


# 2. Lists ----------------------------------------------------------------------------------


@by_service
def test_no_success_answers_a_bare_array(service):
    doc = document(service)
    offenders = [
        f"{op}: {status} answers a bare array"
        for op in doc.operations(api_only=False)
        for status, response in doc.successes(op).items()
        for schema in doc.json_schemas(response)
        if "array" in types_of(schema)
    ]
    assert_none(offenders)


def answers_a_collection(doc, op) -> bool:
    """A GET whose answer is an array, or an object holding its records in `items`."""
    for response in doc.successes(op).values():
        for schema in doc.json_schemas(response):
            if "array" in types_of(schema):
                return True
            items = doc.resolve((schema.get("properties") or {}).get("items") or {})
            if "array" in types_of(items):
                return True
    return False


@by_service
def test_every_collection_is_a_page_taking_limit_and_offset(service):
    doc = document(service)
    offenders = []
    for op in doc.operations():
        if op.method != "GET" or not answers_a_collection(doc, op):
            continue
        for status, response in doc.successes(op).items():
            for schema in doc.json_schemas(response):
                if "array" in types_of(schema):
                    offenders.append(f"{op}: {status} answers a bare array, not a page")
                    continue
                properties = schema.get("properties") or {}
                for name, kind in PAGE_FIELDS.items():
                    declared = doc.resolve(properties.get(name) or {})
                    if name not in properties:
                        offenders.append(f"{op}: {status}'s page has no {name!r}")
                    elif types_of(declared) != {kind}:
                        offenders.append(f"{op}: {status}'s {name!r} is {declared}, not {kind}")
                    if name not in schema.get("required", []):
                        offenders.append(f"{op}: {status}'s page does not require {name!r}")
        query = doc.query_parameters(op)
        for name in ("limit", "offset"):
            if name not in query:
                offenders.append(f"{op}: takes no {name!r} query parameter")
    assert_none(offenders)


@by_service
def test_every_filter_is_a_closed_set(service):
    doc = document(service)
    offenders = []
    for op in doc.operations(api_only=False):
        for name, parameter in doc.query_parameters(op).items():
            if name not in FILTERS:
                continue
            branches = doc.branches(parameter.get("schema") or {})
            if not branches or not all(b.get("enum") or "const" in b for b in branches):
                offenders.append(
                    f"{op}: query parameter {name!r} declares no enum ({parameter.get('schema')})"
                )
    assert_none(offenders)


# 3. Creation -------------------------------------------------------------------------------


@by_service
def test_every_creation_documents_its_location(service):
    doc = document(service)
    offenders = []
    for op in doc.operations(api_only=False):
        created = doc.responses(op).get("201")
        if created is None:
            continue
        headers = {name.lower() for name in created.get("headers") or {}}
        if "location" not in headers:
            offenders.append(f"{op}: 201 documents no Location header")
    assert_none(offenders)


# 4. Times ----------------------------------------------------------------------------------


@by_service
def test_every_date_time_sent_is_a_string_date_time(service):
    doc = document(service)
    offenders = []
    for op in doc.operations(api_only=False):
        for where, schema in doc.request_schemas(op):
            for name, node in doc.properties(schema, where):
                branches = doc.branches(node)
                if not any(b.get("format") == "date-time" for b in branches):
                    continue
                kinds = sorted(set().union(*(types_of(b) for b in branches)))
                if kinds != ["string"] or not all(b.get("format") == "date-time" for b in branches):
                    offenders.append(
                        f"{op}: {name} is a date-time that may also be {kinds} "
                        f"({[{k: b.get(k) for k in ('type', 'format')} for b in branches]})"
                    )
    assert_none(offenders)


# 5. Idempotency ----------------------------------------------------------------------------


@by_service
def test_every_write_documents_its_idempotency_key(service):
    doc = document(service)
    offenders = []
    for op in doc.operations():
        if not op.writes:
            continue
        keys = [
            p
            for p in doc.parameters(op)
            if p.get("in") == "header" and p.get("name", "").lower() == "idempotency-key"
        ]
        if not keys:
            offenders.append(f"{op}: documents no Idempotency-Key header")
            continue
        key = keys[0]
        description = key.get("description") or (key.get("schema") or {}).get("description") or ""
        if key.get("required"):
            offenders.append(f"{op}: Idempotency-Key is required, not optional")
        if not (
            SAYS_WHAT_A_REPLAY_RETURNS.search(description)
            and SAYS_WHAT_COMES_BACK.search(description)
        ):
            offenders.append(
                f"{op}: Idempotency-Key's description does not say what a replay returns "
                f"({description!r})"
            )
    assert_none(offenders)
