"""FastAPI dependencies shared by every service: the runtime, the caller, idempotent writes."""

import contextlib
import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import URL

from shared.auth import InvalidToken, Principal, verify_token
from shared.db import utcnow
from shared.problems import Conflict, InvalidInput, Unauthorized
from shared.runtime import Runtime
from shared.uow import UnitOfWork


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def authenticate(
    runtime: RuntimeDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    if not authorization:
        raise Unauthorized("missing bearer token (Authorization: Bearer <token>)")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    try:
        principal = verify_token(runtime.token_keys, token.strip(), runtime.revoked_tokens)
    except InvalidToken as exc:
        raise Unauthorized(f"invalid token: {exc}") from None
    # A token names any county or group; one this edition does not have belongs to no one here.
    edition = runtime.edition
    if (principal.county and principal.county not in edition.county_codes) or (
        principal.group and principal.group not in edition.group_codes
    ):
        raise Unauthorized(f"invalid token: {principal.role} is not of the edition {edition.code}")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def known_code(runtime: Runtime, code_set: str, value: str, field: str | None = None) -> str:
    """`value` if the edition has it in `code_set` (see Edition.code_sets), else a 422."""
    known = runtime.edition.code_sets[code_set]
    if value not in known:
        raise InvalidInput(
            f"unknown {code_set} {value!r}; known: {', '.join(sorted(known))}",
            field=field or code_set,
        )
    return value


def county_filter(
    runtime: RuntimeDep,
    county: Annotated[str | None, Query(description="A county code of the edition")] = None,
) -> str | None:
    return None if county is None else known_code(runtime, "county", county)


CountyFilter = Annotated[str | None, Depends(county_filter)]
"""`?county=`: one of the edition's counties (its OpenAPI enum), else a 422."""


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "Optional; any printable ASCII text unique to this change (a UUID, say). A retry "
            "with the same key and the same request replays the first answer — its status, "
            "body and Location, with `Idempotent-Replayed: true` — and changes nothing. A "
            "retry that arrives while the first is still running waits for it and replays "
            "its answer. The same key with a different request is refused (422). Refusals "
            "are not kept: a refused request may be sent again with its key."
        ),
    ),
]

Action = Callable[[UnitOfWork], Awaitable[Any]]
Locate = Callable[[dict], str]


async def write(
    runtime: Runtime,
    request: Request,
    principal: Principal,
    key: str | None,
    action: Action,
    status_code: int = 201,
    location: Locate | None = None,
) -> JSONResponse:
    """Run `action` in one transaction and answer with its result.

    With an Idempotency-Key, the key is claimed first thing in the transaction and the answer
    stored in it before the commit. A retry that overlaps the first request blocks on that
    claim (PostgreSQL: on the key's unique index entry; SQLite: on the database's one write
    lock) until the first commits, then finds the stored answer and replays it; if the first
    was refused and rolled back, the retry runs as if it were first. So a retry never meets
    the business rules its own first attempt tripped (a unit "already" registered, a booth
    "already" taken). `location(body)` gives the Location header of a created resource.
    """
    fingerprint, same_request = "", set()  # what makes a retry the same request: keys only
    if key is not None:
        raw = await request.body()
        fingerprint = request_fingerprint(request.method, request.url, raw)
        # Keys stored before fingerprints were canonical (version 1.0) hashed the raw body.
        same_request = {
            fingerprint,
            hashlib.sha256(request.method.encode() + request.url.path.encode() + raw).hexdigest(),
        }
        replay = await _stored_answer(runtime, principal, key, same_request, location)
        if replay is not None:
            return replay
    async with runtime.unit_of_work() as uow:
        claimed = key is None or await _claim(uow, principal, key, fingerprint, runtime)
        if claimed:
            try:
                body = jsonable_encoder(await action(uow))
            except IntegrityError:
                raise Conflict("the change conflicts with one written at the same time") from None
            if key is not None:
                t = runtime.idempotency
                await uow.session.execute(
                    update(t)
                    .where(t.c.principal == key_owner(principal), t.c.key == key)
                    .values(status_code=status_code, body=json.dumps(body))
                )
            await uow.commit()
    if not claimed:
        # Another request with this key committed while this one waited: answer as it did.
        replay = await _stored_answer(runtime, principal, key or "", same_request, location)
        if replay is None:  # it was claimed and released in between: rare, and safe to retry
            raise Conflict("another request with this Idempotency-Key just ended; retry")
        return replay
    headers = {"Location": location(body)} if location else None
    return JSONResponse(body, status_code=status_code, headers=headers)


async def _claim(
    uow: UnitOfWork, principal: Principal, key: str, fingerprint: str, runtime: Runtime
) -> bool:
    """Insert the key's row (its answer is filled in before the commit); False if taken."""
    try:
        await uow.session.execute(
            insert(runtime.idempotency).values(
                principal=key_owner(principal),
                key=key,
                fingerprint=fingerprint,
                status_code=0,
                body="",
                created_at=utcnow(),
            )
        )
    except IntegrityError:
        return False  # the transaction is spoilt: the caller leaves it, rolled back
    return True


def key_owner(principal: Principal) -> str:
    """Whose Idempotency-Keys these are: the token's role and subject together, so that a
    subject with another role (county:huating as zhang, say, after county:kongtong as zhang)
    never replays an answer stored for the first. Hashed: fixed length, no name in the table."""
    return hashlib.sha256(f"{principal.role}\n{principal.id}".encode()).hexdigest()


def request_fingerprint(method: str, url: URL, body: bytes) -> str:
    """What makes two requests "the same": method, path, query and the body's meaning.

    The body is compared as parsed JSON, written canonically (sorted members, no blanks):
    RFC 8259 gives member order no meaning, so a client that re-serialises its request
    on a retry still replays.
    """
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except ValueError:
        canonical = body
    query = "&".join(sorted(url.query.split("&"))) if url.query else ""
    return hashlib.sha256(
        b"\n".join([method.encode(), url.path.encode(), query.encode(), canonical])
    ).hexdigest()


async def _stored_answer(
    runtime: Runtime,
    principal: Principal,
    key: str,
    same_request: set[str],
    location: Locate | None,
) -> JSONResponse | None:
    t = runtime.idempotency
    async with runtime.sessions() as session:
        row = (
            await session.execute(
                select(t.c.fingerprint, t.c.status_code, t.c.body).where(
                    # A key stored before keys were owned by role and subject (1.0): its subject.
                    t.c.principal.in_([key_owner(principal), principal.id]),
                    t.c.key == key,
                )
            )
        ).first()
    if row is None:
        return None
    if row.fingerprint not in same_request:
        raise InvalidInput(
            "this Idempotency-Key was already used for a different request",
            field="Idempotency-Key",
        )
    body = json.loads(row.body)
    headers = {"Idempotent-Replayed": "true"}
    if location is not None and isinstance(body, dict):
        # (An answer stored by an older version may have another shape: no Location then.)
        with contextlib.suppress(KeyError):
            headers["Location"] = location(body)
    return JSONResponse(body, status_code=row.status_code, headers=headers)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


MAX_OFFSET = 10_000_000  # far past any list here, well inside every database's integers


@dataclass(frozen=True)
class PageRequest:
    limit: int
    offset: int


def page_request(
    limit: Annotated[int, Query(ge=1, le=200, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")] = 0,
) -> PageRequest:
    return PageRequest(limit, offset)


Paging = Annotated[PageRequest, Depends(page_request)]


async def paginate(
    session: AsyncSession, query: Select, page: PageRequest, convert: Callable[[dict], T], *order_by
) -> Page[T]:
    """One page of `query`, each row converted, with the total count of matching rows."""
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(query.order_by(*order_by).limit(page.limit).offset(page.offset))
    items = [convert(r._asdict()) for r in rows]
    return Page(items=items, total=total or 0, limit=page.limit, offset=page.offset)


def page_of(items: Sequence[T], page: PageRequest) -> Page[T]:
    """One page of a list computed in memory (a matrix, a plan), in the same shape."""
    chosen = list(items[page.offset : page.offset + page.limit])
    return Page(items=chosen, total=len(items), limit=page.limit, offset=page.offset)


def at(template: str) -> Locate:
    """The Location of a created resource, from its answer: `at("/api/v1/units/{id}")`."""
    return lambda body: template.format(**body)


def run_use_case(
    runtime: Runtime,
    request: Request,
    principal: Principal,
    key: str | None,
    use_case,
    *args,
    status_code: int = 200,
    location: Locate | None = None,
):
    """`use_case(uow, edition, now, principal, *args)` in one transaction, idempotently: the
    shape every service's write endpoints share. A creation passes `status_code=201` and
    `location=at(...)`."""
    return write(
        runtime,
        request,
        principal,
        key,
        lambda uow: use_case(uow, runtime.edition, runtime.clock.now(), principal, *args),
        status_code=status_code,
        location=location,
    )
