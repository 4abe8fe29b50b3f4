"""Build a service's ASGI app: its HTTP routes, its broker and relay, health, metrics, docs.

HTTP starts serving at once; the bus connects in the background (retrying while NATS is
away) and the outbox relay publishes whatever was committed meanwhile.
"""

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import MetaData

from shared.api import CurrentPrincipal
from shared.asyncapi import declare_published_events, event_specification
from shared.bus import EventConsumer, jetstream_of
from shared.doc_pages import asyncapi_page, swagger_page
from shared.events import Event
from shared.metrics import HttpMetrics
from shared.openapi_problems import document_problems
from shared.problems import PROBLEM_JSON, Forbidden, install_problem_handlers, problem_response
from shared.runtime import Runtime
from shared.settings import Settings

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1024 * 1024  # requests here are forms and short texts, never uploads
# /metrics holds every county's business figures (amounts signed, readiness, booths...): only
# the roles that already see every county may scrape it. Prometheus scrapes with an ops token.
METRICS_READERS = frozenset({"ops", "committee"})


class BodyTooLarge(Exception):
    """Raised from the limited `receive` once a request body has passed the limit."""


class BodySizeLimit:
    """Refuses a request body larger than `max_bytes` with 413 problem+json.

    A Content-Length announcing too much (or not a number) is refused before anything is
    read. Any body, chunked or not, is also counted while it streams in: once the bytes
    received pass the limit the app gets no more of it (its `receive` raises), whatever it
    answers is dropped, and the 413 goes out instead. FastAPI reads the whole body before
    authenticating, validating or storing anything, so an oversized body never reaches a
    handler. Should an app have started its answer before the body passed the limit, that
    answer is cut off (the connection closes) rather than completed.
    """

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return

        received = 0
        too_large = False
        response_started = False

        async def limited_receive():
            nonlocal received, too_large
            if too_large:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message):
            nonlocal response_started
            if too_large:
                return  # the app's answer to a body it never got whole: ours goes out instead
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            # The app may let BodyTooLarge through or turn it into another error: either way
            # it is the body's fault, and the answer is the 413.
            if not too_large:
                raise
        if not too_large:
            return
        if response_started:
            raise BodyTooLarge(f"body passed {self.max_bytes} bytes after the answer began")
        await self._refuse(scope, receive, send)

    async def _refuse(self, scope, receive, send) -> None:
        body = {
            "type": "/problems/too-large",
            "title": "Request too large",
            "status": 413,
            "detail": f"the body must be at most {self.max_bytes} bytes",
            "errors": [{"field": "body", "reason": "too large"}],
        }
        await problem_response(413, body)(scope, receive, send)


class RefuseNulCharacters:
    """Refuses a NUL character in the path or the query with 422 problem+json.

    PostgreSQL cannot store or even compare text holding one (the query fails, a 500), and no
    code, id or name of ours has one. Request bodies are checked by `shared.schemas.Strict`.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            raw = scope.get("raw_path", b"") + b"?" + scope.get("query_string", b"")
            if b"\x00" in raw or b"%00" in raw.lower():
                body = {
                    "type": "/problems/invalid-input",
                    "title": "Invalid input",
                    "status": 422,
                    "detail": "the path and the query must not contain the NUL character",
                    "errors": [{"field": "url", "reason": "contains the NUL character"}],
                }
                await problem_response(422, body)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(
    service: str,
    metadata: MetaData,
    routers: Sequence[APIRouter] = (),
    consumers: Sequence[EventConsumer] = (),
    publishes: Sequence[type[Event]] = (),
    background: Sequence[Callable[[Runtime], Coroutine[Any, Any, None]]] = (),
    settings: Settings | None = None,
    description: str = "",
    rules: type[StrEnum] | None = None,
) -> FastAPI:
    """`rules` is the service's enum of business-rule names, the `rule` of its 409s."""
    settings = settings or Settings()
    runtime = Runtime(service, metadata, settings, consumers)
    declare_published_events(runtime.broker, publishes)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        runtime.token_keys  # noqa: B018 - no secret, no service (MissingSecret)
        tasks = [
            asyncio.create_task(runtime.bus.run(), name=f"{service}-bus"),
            asyncio.create_task(runtime.relay.run(), name=f"{service}-outbox-relay"),
            asyncio.create_task(
                runtime.revoked_tokens.follow(
                    lambda: jetstream_of(runtime.broker), runtime.bus.started
                ),
                name=f"{service}-revoked-tokens",
            ),
            *(
                asyncio.create_task(work(runtime), name=f"{service}-{work.__name__}")
                for work in background
            ),
        ]
        try:
            yield
        finally:
            await runtime.shut_down(tasks)

    app = FastAPI(
        title=f"ExpoOps {service}",
        description=description,
        version="1.0",
        lifespan=lifespan,
        docs_url=None,  # served below, with its scripts pinned by integrity hashes
        redoc_url=None,
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    document_problems(app, rules or (), settings.edition.code_sets)
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(RefuseNulCharacters)
    # Added last, so outermost: requests refused by the size limit are counted too.
    app.add_middleware(HttpMetrics, metrics=runtime.metrics)
    for router in routers:
        app.include_router(router, prefix="/api/v1")
    app.include_router(_operations_router(runtime, description))
    return app


def _operations_router(runtime: Runtime, description: str) -> APIRouter:
    router = APIRouter(tags=["operations"])
    asyncapi = event_specification(runtime.broker, runtime.service, description)

    @router.get("/healthz")
    async def healthz():
        return {"status": "ok", "service": runtime.service, "pid": os.getpid()}

    @router.get(
        "/readyz",
        responses={
            503: {
                "description": "The database or NATS is not reachable, or the revoked tokens are "
                "not read yet",
                "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }
        },
    )
    async def readyz():
        checks = {
            "database": await runtime.database_ready(),
            "nats": runtime.bus.connected(),
            # Until the revocation list is read, a revoked token would be let in.
            "revoked_tokens": runtime.revoked_tokens.loaded.is_set(),
        }
        if all(checks.values()):
            return {"status": "ready", "checks": checks}
        body = {
            "type": "/problems/not-ready",
            "title": "Not ready",
            "status": 503,
            "detail": ", ".join(k for k, ok in checks.items() if not ok) + " not ready",
            "checks": checks,
        }
        return problem_response(503, body)

    @router.get(
        "/metrics",
        response_class=PlainTextResponse,
        responses={200: {"description": "Prometheus text exposition format (version 1.0.0)"}},
        description=(
            "The service's figures for Prometheus: every county's business figures beside the "
            "service's own health. Needs a bearer token of role `ops` or `committee` (Prometheus "
            "scrapes with an `ops` token); any other role is refused (403)."
        ),
    )
    async def metrics(principal: CurrentPrincipal):
        if principal.role not in METRICS_READERS:
            raise Forbidden(
                f"{principal.role} may not read /metrics: it holds every county's figures"
            )
        return Response(await runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @router.get("/asyncapi")
    async def asyncapi_json():
        return JSONResponse(asyncapi.to_specification().to_jsonable())

    @router.get("/asyncapi.html", response_class=HTMLResponse, include_in_schema=False)
    async def asyncapi_html():
        specification = asyncapi.to_specification().to_jsonable()
        return asyncapi_page(f"ExpoOps {runtime.service} events", specification)

    @router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def swagger_ui(request: Request):
        root_path = request.scope.get("root_path", "").rstrip("/")
        return swagger_page(f"ExpoOps {runtime.service} API", f"{root_path}/openapi.json")

    return router
