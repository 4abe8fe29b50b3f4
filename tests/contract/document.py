"""Reading a service's OpenAPI document: its operations, parameters, requests and answers,
with local `$ref`s followed, for the checks of the API contract."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

WRITES = ("POST", "PUT", "PATCH", "DELETE")
METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE")
PROBLEM_REF = "#/components/schemas/Problem"
PROBLEM_JSON = "application/problem+json"
# Query parameters that filter a list: each takes one of a closed set of values.
FILTERS = ("status", "stage", "kind", "state", "county", "group", "channel", "by", "format")
PAGE_FIELDS = {"items": "array", "total": "integer", "limit": "integer", "offset": "integer"}


@dataclass(frozen=True)
class Operation:
    service: str
    method: str  # upper case
    path: str
    spec: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.service} {self.method} {self.path}"

    @property
    def under_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def writes(self) -> bool:
        return self.method in WRITES


class Document:
    def __init__(self, service: str, raw: dict[str, Any]) -> None:
        self.service = service
        self.raw = raw

    def resolve(self, node: Any) -> Any:
        """`node` with its `$ref` (local, possibly chained) followed."""
        seen = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                return node
            seen.add(ref)
            target: Any = self.raw
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def operations(self, api_only: bool = True) -> Iterator[Operation]:
        for path, item in self.raw.get("paths", {}).items():
            for method, spec in item.items():
                if method.upper() in METHODS and (path.startswith("/api/") or not api_only):
                    yield Operation(self.service, method.upper(), path, spec)

    def methods_of(self, path: str) -> set[str]:
        return {m.upper() for m in self.raw["paths"][path] if m.upper() in METHODS}

    def parameters(self, operation: Operation) -> list[dict[str, Any]]:
        """The operation's parameters, the path item's own included, resolved."""
        shared = self.raw["paths"][operation.path].get("parameters", [])
        return [self.resolve(p) for p in [*shared, *operation.spec.get("parameters", [])]]

    def query_parameters(self, operation: Operation) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.parameters(operation) if p.get("in") == "query"}

    def responses(self, operation: Operation) -> dict[str, dict[str, Any]]:
        return {
            str(status): self.resolve(response)
            for status, response in operation.spec.get("responses", {}).items()
        }

    def successes(self, operation: Operation) -> dict[str, dict[str, Any]]:
        return {s: r for s, r in self.responses(operation).items() if s.startswith("2")}

    def json_schemas(self, response_or_body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The schema of each JSON media type of a response or a request body, resolved."""
        for media_type, content in (response_or_body.get("content") or {}).items():
            if is_json(media_type) and "schema" in content:
                yield self.resolve(content["schema"])

    def request_schemas(self, operation: Operation) -> Iterator[tuple[str, dict[str, Any]]]:
        """(where, schema) of everything a request sends: its parameters and its body."""
        for parameter in self.parameters(operation):
            if "schema" in parameter:
                where = f"{parameter.get('in')} parameter {parameter.get('name')}"
                yield where, self.resolve(parameter["schema"])
        body = self.resolve(operation.spec.get("requestBody") or {})
        for media_type, content in (body.get("content") or {}).items():
            if "schema" in content:
                yield f"{media_type} body", self.resolve(content["schema"])

    def branches(self, schema: dict[str, Any]) -> list[dict[str, Any]]:
        """The alternatives a value of `schema` may take (anyOf/oneOf flattened), nulls left out."""
        schema = self.resolve(schema)
        alternatives = schema.get("anyOf") or schema.get("oneOf")
        if not alternatives:
            return [] if schema.get("type") == "null" else [schema]
        found = []
        for alternative in alternatives:
            found += self.branches(alternative)
        return found

    def properties(self, schema: dict[str, Any], where: str = "") -> Iterator[tuple[str, dict]]:
        """(dotted name, schema) of `schema` and every schema nested in it, each once."""
        seen: set[int] = set()

        def walk(node: Any, name: str) -> Iterator[tuple[str, dict]]:
            node = self.resolve(node)
            if not isinstance(node, dict) or id(node) in seen:
                return
            seen.add(id(node))
            yield name, node
            for key in ("anyOf", "oneOf", "allOf"):
                for alternative in node.get(key, []):
                    yield from walk(alternative, name)
            for prop, sub in (node.get("properties") or {}).items():
                yield from walk(sub, f"{name}.{prop}" if name else prop)
            if isinstance(node.get("items"), dict):
                yield from walk(node["items"], f"{name}[]")
            if isinstance(node.get("additionalProperties"), dict):
                yield from walk(node["additionalProperties"], f"{name}{{}}")

        yield from walk(schema, where)

    def problem_schema(self) -> dict[str, Any] | None:
        return self.raw.get("components", {}).get("schemas", {}).get("Problem")

    def declared_rules(self) -> list[str]:
        """The business-rule names the Problem schema's `rule` declares (empty when none)."""
        problem = self.problem_schema() or {}
        rule = self.resolve((problem.get("properties") or {}).get("rule") or {})
        return [value for branch in self.branches(rule) for value in branch.get("enum", [])]


def is_json(media_type: str) -> bool:
    kind = media_type.split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def types_of(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        return set(kind)
    return {kind} if kind else set()
