"""The 1 MiB body limit holds however the body comes: announced by Content-Length or streamed
in chunks (Transfer-Encoding: chunked, no length), before authentication.

The service's real app (as `running_service` starts it, with its lifespan) is served by
uvicorn on a free port of this machine, so the chunked encoding is real HTTP/1.1 on a socket
and uvicorn decodes it, as in production. (httpx's ASGITransport would hand the chunks to the
app one by one too, but no chunked framing would ever be sent or parsed.)
"""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn

from shared.app import MAX_BODY_BYTES, BodySizeLimit, BodyTooLarge
from tests.support import (
    assert_problem,
    eventually,
    running_service,
    service_settings,
    token,
    unit_body,
)

pytestmark = pytest.mark.finding(7)

CHUNK = 64 * 1024
OVER = 2 * 1024 * 1024  # twice the limit


class SeenHeaders:
    """Passes requests to the app, keeping the headers each one arrived with."""

    def __init__(self, app) -> None:
        self.app = app
        self.requests: list[dict[bytes, bytes]] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.requests.append(dict(scope["headers"]))
        await self.app(scope, receive, send)


@asynccontextmanager
async def served(service: str, nats_server, tmp_path):
    """The service's app behind a real uvicorn on 127.0.0.1 (a port the system picks)."""
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    async with running_service(service, settings) as svc:
        app = svc.client._transport.app  # the very app running_service started
        seen = SeenHeaders(app)
        config = uvicorn.Config(seen, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        try:

            async def listening() -> bool:
                if task.done():
                    task.result()  # it stopped: say why
                return server.started

            await eventually(listening, timeout=30, what="uvicorn listening")
            port = server.servers[0].sockets[0].getsockname()[1]
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                yield http, seen
        finally:
            server.should_exit = True
            await task


async def chunks(payload: bytes, size: int = CHUNK) -> AsyncIterator[bytes]:
    """The body as a stream of unknown length: httpx sends it chunked."""
    for start in range(0, len(payload), size):
        yield payload[start : start + size]


def padded_json(document: dict, size: int) -> bytes:
    """`document` as valid JSON of `size` bytes: whitespace after it, which a JSON parser
    skips, so nothing but its size is wrong with it."""
    raw = json.dumps(document, ensure_ascii=False).encode()
    return raw + b" " * (size - len(raw))


def assert_sent_chunked(response: httpx.Response, seen: SeenHeaders) -> None:
    """Both ends agree: no Content-Length, Transfer-Encoding: chunked."""
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    arrived = seen.requests[-1]
    assert b"content-length" not in arrived
    assert arrived[b"transfer-encoding"] == b"chunked"


def assert_too_large(response: httpx.Response) -> None:
    problem = assert_problem(response, 413, field="body")
    assert problem["type"] == "/problems/too-large"
    assert problem["detail"] == f"the body must be at most {MAX_BODY_BYTES} bytes"


async def test_an_anonymous_chunked_body_over_the_limit_is_refused_before_authentication(
    nats_server, databases, tmp_path
):
    async with served("registration", nats_server, tmp_path) as (http, seen):
        payload = padded_json(unit_body(), OVER)
        response = await http.post(
            "/api/v1/units",
            content=chunks(payload),
            headers={"Content-Type": "application/json"},
        )
        assert_sent_chunked(response, seen)
        assert_too_large(response)  # not 401 (read whole first), not 201


async def test_a_chunked_bulletin_over_the_limit_is_refused_and_stores_nothing(
    nats_server, databases, tmp_path
):
    async with served("publicity", nats_server, tmp_path) as (http, seen):

        async def total() -> int:
            listed = await http.get("/api/v1/bulletins", headers=token("committee"))
            assert listed.status_code == 200, listed.text
            return listed.json()["total"]

        before = await total()
        # A valid bulletin (its body within BulletinIn's 5000 characters), 2 MiB on the wire:
        # before the limit counted streamed bodies, this one was stored (201).
        bulletin = {"title": "崆峒区布展进度", "body": "展位搭建完成，" * 100}
        response = await http.post(
            "/api/v1/bulletins",
            content=chunks(padded_json(bulletin, OVER)),
            headers={"Content-Type": "application/json"} | token("county:kongtong"),
        )
        assert_sent_chunked(response, seen)
        assert_too_large(response)
        assert await total() == before


async def test_a_chunked_body_within_the_limit_is_accepted(nats_server, databases, tmp_path):
    async with served("registration", nats_server, tmp_path) as (http, seen):
        headers = {"Content-Type": "application/json"} | token("county:kongtong")
        # A normal registration, in small chunks.
        payload = json.dumps(unit_body()).encode()
        response = await http.post("/api/v1/units", content=chunks(payload, 32), headers=headers)
        assert_sent_chunked(response, seen)
        assert response.status_code == 201, response.text
        # Exactly the limit is still within it.
        payload = padded_json(unit_body(), MAX_BODY_BYTES)
        response = await http.post("/api/v1/units", content=chunks(payload), headers=headers)
        assert_sent_chunked(response, seen)
        assert response.status_code == 201, response.text


async def test_a_content_length_over_the_limit_is_refused_at_once(nats_server, databases, tmp_path):
    async with served("registration", nats_server, tmp_path) as (http, seen):
        # The length is announced, so the refusal needs none of the body; the client may
        # still push some of it before reading the answer.
        payload = padded_json(unit_body(), OVER)
        response = await http.post(
            "/api/v1/units",
            content=chunks(payload),
            headers={"Content-Type": "application/json", "Content-Length": str(len(payload))},
        )
        assert seen.requests[-1][b"content-length"] == str(OVER).encode()
        assert_too_large(response)

        # Same through the app without a server: the refusal comes before anything is read.
        reads = 0

        async def receive():
            nonlocal reads
            reads += 1
            return {"type": "http.request", "body": b"", "more_body": True}

        answered: list[dict] = []

        async def send(message):
            answered.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/api/v1/units",
            "raw_path": b"/api/v1/units",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"content-length", str(OVER).encode())],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }
        await seen.app(scope, receive, send)
        assert reads == 0
        assert answered[0]["status"] == 413


def streamed(size: int, chunk: int = CHUNK):
    """A `receive` giving `size` bytes in chunks, and how many of them it gave."""
    given = {"bytes": 0}

    async def receive():
        part = min(chunk, size - given["bytes"])
        given["bytes"] += part
        return {"type": "http.request", "body": b"x" * part, "more_body": given["bytes"] < size}

    return receive, given


def recorder():
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    return send, sent


SCOPE = {"type": "http", "method": "POST", "path": "/", "headers": []}


async def test_whatever_the_app_makes_of_the_overflow_the_answer_is_the_413():
    """An app that reads the body and turns the failure into an answer of its own (as
    FastAPI turns a failed read into a 400) is not heard: the middleware's 413 goes out."""

    async def app(scope, receive, send):
        try:
            while (await receive()).get("more_body"):
                pass
        except Exception:
            await send({"type": "http.response.start", "status": 400, "headers": []})
            await send({"type": "http.response.body", "body": b"bad"})
            return
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"stored"})

    receive, given = streamed(OVER)
    send, sent = recorder()
    await BodySizeLimit(app, MAX_BODY_BYTES)(SCOPE, receive, send)
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [413]
    assert b"bad" not in b"".join(m.get("body", b"") for m in sent)
    assert given["bytes"] <= MAX_BODY_BYTES + CHUNK  # the rest was never read


async def test_an_answer_begun_before_the_overflow_is_cut_off_not_completed():
    """Not what FastAPI does (it reads the body first), guarded anyway: the begun answer
    gets no more of the app's messages and the error reaches the server, which drops the
    connection, so the client never sees a complete answer."""

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.body", "body": b"done"})

    receive, _ = streamed(OVER)
    send, sent = recorder()
    with pytest.raises(BodyTooLarge):
        await BodySizeLimit(app, MAX_BODY_BYTES)(SCOPE, receive, send)
    assert [m["type"] for m in sent] == ["http.response.start"]
