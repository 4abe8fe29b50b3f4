"""The contract every operation keeps, written into its OpenAPI document: the problems it
can answer, the rules a 409 names, the Location of what a 201 created, and the edition's
codes where a field or parameter takes one.

FastAPI documents the 2xx answer and a 422 in its own shape; a service answers every refusal
as `application/problem+json` (shared/problems.py) instead. A client generated from the
document, or a person reading it, should see what can really come back: which refusals an
operation can give is derived from the route itself (does it need a token, does its path
name a record, does it change anything, does it take input), so a new route is documented
without anyone remembering to.
"""

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from shared.api import authenticate
from shared.problems import PROBLEM_JSON, SharedRule

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
PROBLEM = "#/components/schemas/Problem"

PROBLEM_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "title": "Problem",
        "description": "A refusal (RFC 9457). Nothing was changed.",
        "type": "object",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string", "description": "What kind of problem, e.g. "
                     "/problems/invalid-input"},
            "title": {"type": "string", "description": "Its short, fixed summary"},
            "status": {"type": "integer", "description": "The HTTP status, repeated"},
            "detail": {"type": "string", "description": "What was wrong with this request"},
            "instance": {"type": "string", "description": "The path the request went to"},
            "errors": {
                "type": "array",
                "description": "Each field at fault and why",
                "items": {"$ref": "#/components/schemas/ProblemFieldError"},
            },
            "rule": {"type": "string", "description": "On a 409: the business rule that "
                     "refused the request; switch on it, not on the text", "enum": []},
            "allowed": {"type": "array", "items": {"type": "string"},
                        "description": "On a 409, where the choice is a closed set: what "
                        "would have been accepted (e.g. the moves allowed from this state)"},
        },
    },
    "ProblemFieldError": {
        "title": "ProblemFieldError",
        "type": "object",
        "required": ["field", "reason"],
        "properties": {
            "field": {"type": "string", "description": "The field, dotted for nested ones"},
            "reason": {"type": "string", "description": "The rule it broke"},
        },
    },
}  # fmt: skip

DESCRIPTIONS = {
    "401": "No bearer token, or one that is invalid or expired",
    "403": "The caller's role may not do this, or not for this county",
    "404": "No record with an id the path or the body gives",
    "409": "Not possible in the record's current state, or a conflicting write",
    "413": "The body is larger than the limit",
    "422": "Invalid input: each error names the field and the rule",
}


CREATED_HEADERS = {
    "Location": {
        "description": "Where the created resource can be read",
        "schema": {"type": "string"},
    }
}
REPLAY_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the "
        "same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def document_problems(
    app: FastAPI, rules: Iterable[str] = (), codes: Mapping[str, Iterable[str]] | None = None
) -> None:
    """Have `app.openapi()` list, for every operation, the refusals it can answer.

    `rules` are the service's business-rule names (a 409's `rule`); `codes` maps a field or
    parameter name to the edition's codes it takes (`county` -> kongtong, huating, ...), so
    the document says what the service accepts, not merely "a string".
    """
    generate = app.openapi
    rule_names = sorted({str(r) for r in rules} | {str(r) for r in SharedRule})
    closed_sets = {name: sorted(values) for name, values in (codes or {}).items()}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            # Routes of included routers, with their prefixes, as FastAPI's own document sees them.
            for route in iter_route_contexts(app.routes):
                if isinstance(route.original_route, APIRoute) and route.include_in_schema:
                    for method in route.methods or ():
                        operation = schema["paths"][route.path_format].get(method.lower())
                        if operation is not None:
                            _add_problems(operation, refusals(route, method))
                            _add_success_headers(operation, method)
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(copy.deepcopy(PROBLEM_SCHEMAS))
            schemas["Problem"]["properties"]["rule"]["enum"] = rule_names
            _close_code_sets(schema, closed_sets)
            for fastapi_own in ("HTTPValidationError", "ValidationError"):
                schemas.pop(fastapi_own, None)  # its 422 shape is never sent
            return schema  # FastAPI keeps it as app.openapi_schema, the one served from now on
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def refusals(route: RouteContext, method: str) -> list[str]:
    dependant = route.dependant
    statuses = []
    if _depends_on(dependant, authenticate):
        statuses += ["401", "403"]
    if dependant.path_params or (method in WRITES and dependant.body_params):
        statuses.append("404")  # a body may name records too (a hall, an achievement)
    if method in WRITES:
        statuses.append("409")
    if dependant.body_params:
        statuses.append("413")
    if method in WRITES or _takes_input(dependant):
        statuses.append("422")
    return statuses


def _add_problems(operation: dict[str, Any], statuses: list[str]) -> None:
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)  # FastAPI's own, replaced below if the operation takes input
    for status in statuses:
        responses[status] = {
            "description": DESCRIPTIONS[status],
            "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM}}},
        }


def _add_success_headers(operation: dict[str, Any], method: str) -> None:
    for status, response in operation.get("responses", {}).items():
        if status == "201":
            response.setdefault("headers", {}).update(CREATED_HEADERS)
        if status.startswith("2") and method in WRITES:
            response.setdefault("headers", {}).update(REPLAY_HEADER)


def _close_code_sets(document: dict[str, Any], closed_sets: dict[str, list[str]]) -> None:
    """Give each parameter or property named after a code set (`county`...) its enum."""
    if not closed_sets:
        return

    def close(schema: dict[str, Any], name: str) -> None:
        values = closed_sets.get(name)
        if values is None:
            return
        for option in schema.get("anyOf", [schema]):
            if option.get("type") == "string" and "enum" not in option:
                option.pop("maxLength", None)
                option.pop("pattern", None)
                option["enum"] = values
            elif option.get("type") == "array" and option.get("items", {}).get("type") == "string":
                option["items"] = {"type": "string", "enum": values}

    for path in document.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                close(parameter.get("schema", {}), parameter["name"])
    for component in document.get("components", {}).get("schemas", {}).values():
        for name, prop in component.get("properties", {}).items():
            close(prop, name)


def _depends_on(dependant: Dependant, call) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def _takes_input(dependant: Dependant) -> bool:
    """Anything the caller sends besides the token (a missing or bad one is a 401)."""
    own = dependant.path_params or dependant.query_params or dependant.header_params
    return bool(own or dependant.body_params) or any(
        _takes_input(d) for d in dependant.dependencies if d.call is not authenticate
    )
