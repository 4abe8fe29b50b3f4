"""Errors as `application/problem+json` (RFC 9457), naming the field and the rule.

Bad input never becomes a 500 and never shows a stack trace.
"""

import logging
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raised anywhere (domain, use case, API) to answer with problem+json."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.field:
            body["errors"] = [{"field": self.field, "reason": self.detail}]
        return body | self.extra


class InvalidInput(Problem):
    status, slug, title = 422, "invalid-input", "Invalid input"


class SharedRule(StrEnum):
    """Rules every service may answer with, beside its own (each service's `Rule` enum)."""

    CONCURRENT_CHANGE = "concurrent_change"  # another request changed the record meanwhile


class RuleViolated(Problem):
    """A well-formed request that a business rule forbids (e.g. a forbidden transition).

    `rule` is the name clients switch on (declared per service in its OpenAPI `Problem`);
    `allowed`, where there is a closed set, says what would have been accepted.
    """

    status, slug, title = 409, "rule-violated", "Not allowed by the rules"

    def __init__(
        self,
        detail: str,
        *,
        rule: StrEnum | str,
        field: str | None = None,
        allowed: Iterable[str] | None = None,
        **extra: Any,
    ) -> None:
        if allowed is not None:
            extra["allowed"] = sorted(str(a) for a in allowed)
        super().__init__(detail, field=field, rule=str(rule), **extra)


class Conflict(RuleViolated):
    """A write that lost a race with another request: retrying after a reload may succeed."""

    status, slug, title = 409, "conflict", "Conflict"

    def __init__(
        self, detail: str, *, rule: StrEnum | str = SharedRule.CONCURRENT_CHANGE, **kw: Any
    ) -> None:
        super().__init__(detail, rule=rule, **kw)


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Forbidden"


def problem_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] if len(parts) > 1 else parts
    return ".".join(parts)


# Validators that check several fields at once say which one is wrong as "<field>: why".
CROSS_FIELD = re.compile(r"^Value error, ([a-z_][a-z0-9_.]*): (.+)$", re.DOTALL)


def _named_error(loc: tuple[Any, ...], message: str) -> dict[str, str]:
    field = _field_of(loc)
    named = CROSS_FIELD.match(message)
    if named:
        field = f"{field}.{named[1]}" if field not in ("", "body") else named[1]
        message = named[2]
    return {"field": field, "reason": message}


def _invalid_input(request: Request, errors: list[dict[str, str]]):
    body = {
        "type": f"/problems/{InvalidInput.slug}",
        "title": InvalidInput.title,
        "status": InvalidInput.status,
        "detail": "; ".join(f"{e['field']}: {e['reason']}" for e in errors),
        "instance": request.url.path,
        "errors": errors,
    }
    return problem_response(InvalidInput.status, body)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem_response(exc.status, exc.body() | {"instance": request.url.path}, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = []
        for err in exc.errors():
            if err["type"] == "json_invalid":
                errors.append(
                    {"field": "body", "reason": f"body is not valid JSON ({err['ctx']['error']})"}
                )
            else:
                errors.append(_named_error(tuple(err["loc"]), err["msg"]))
        return _invalid_input(request, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and exc.__cause__ is not None:
            # FastAPI could not read the body at all (not UTF-8, say): bad input like any
            # other, named as such, rather than its bare 400.
            reason = f"the body could not be read as JSON ({type(exc.__cause__).__name__})"
            return _invalid_input(request, [{"field": "body", "reason": reason}])
        return framework_problem(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = {
            "type": "/problems/internal",
            "title": "Internal error",
            "status": 500,
            "detail": "The request could not be completed; it changed nothing. Try again.",
            "instance": request.url.path,
        }
        return problem_response(500, body)


def framework_problem(request: Request, exc: StarletteHTTPException):
    """The framework's own refusals (no such path, wrong method) in the same shape as ours."""
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 404:
        slug, title = "not-found", "Not found"
        detail = f"no resource at {request.url.path}"
        if isinstance(exc.detail, str) and exc.detail != "Not Found":
            detail = exc.detail
    elif exc.status_code == 405:
        allowed = allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        slug, title = "method-not-allowed", "Method not allowed"
        detail = f"{request.url.path} does not take {request.method}; it takes {', '.join(allowed)}"
    else:
        slug, title = f"http-{exc.status_code}", str(exc.detail)
        detail = str(exc.detail)
    body = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": exc.status_code,
        "detail": detail,
        "instance": request.url.path,
    }
    return problem_response(exc.status_code, body, headers or None)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path (the router names only the first route's)."""
    table = getattr(request.app.state, "methods_by_path", None)
    if table is None:  # built once per app: routes are fixed once it serves
        table = [
            (compile_path(route.path)[0], frozenset(route.methods))
            for route in iter_route_contexts(request.app.routes)
            if route.methods and route.path
        ]
        request.app.state.methods_by_path = table
    path = request.url.path
    return sorted({m for pattern, methods in table if pattern.match(path) for m in methods})
