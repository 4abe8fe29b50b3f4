"""FastAPI dependencies shared by every service: the runtime, the caller, idempotent writes."""

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Select, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import InvalidToken, Principal, verify_token
from shared.db import utcnow
from shared.problems import Conflict, Forbidden, InvalidInput, Unauthorized
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
        return verify_token(runtime.settings.auth_secret, token.strip())
    except InvalidToken as exc:
        raise Unauthorized(f"invalid token: {exc}") from None


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def require_county_access(principal: Principal, county: str) -> None:
    if not principal.may_act_for_county(county):
        raise Forbidden(f"{principal.role} may not act for county {county!r}", field="county")


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="A retried POST with the same key returns the first answer, creates nothing.",
    ),
]

Action = Callable[[UnitOfWork], Awaitable[Any]]


async def write(
    runtime: Runtime,
    request: Request,
    principal: Principal,
    key: str | None,
    action: Action,
    status_code: int = 201,
) -> JSONResponse:
    """Run `action` in one transaction and answer with its result.

    With an Idempotency-Key, the answer is stored in the same transaction; a retry with the
    same key and body replays it, the same key with another body is refused.
    """
    fingerprint = hashlib.sha256(
        request.method.encode() + request.url.path.encode() + await request.body()
    ).hexdigest()
    if key is not None:
        replay = await _stored_answer(runtime, principal, key, fingerprint)
        if replay is not None:
            return replay
    try:
        async with runtime.unit_of_work() as uow:
            body = jsonable_encoder(await action(uow))
            if key is not None:
                await uow.session.execute(
                    insert(runtime.idempotency).values(
                        principal=principal.id,
                        key=key,
                        fingerprint=fingerprint,
                        status_code=status_code,
                        body=json.dumps(body),
                        created_at=utcnow(),
                    )
                )
            await uow.commit()
    except IntegrityError:
        # A concurrent request with the same key won the race: answer as it did.
        if key is not None and (
            replay := await _stored_answer(runtime, principal, key, fingerprint)
        ):
            return replay
        raise Conflict("the change conflicts with data written at the same time; retry") from None
    return JSONResponse(body, status_code=status_code)


async def _stored_answer(
    runtime: Runtime, principal: Principal, key: str, fingerprint: str
) -> JSONResponse | None:
    t = runtime.idempotency
    async with runtime.sessions() as session:
        row = (
            await session.execute(
                select(t.c.fingerprint, t.c.status_code, t.c.body).where(
                    t.c.principal == principal.id, t.c.key == key
                )
            )
        ).first()
    if row is None:
        return None
    if row.fingerprint != fingerprint:
        raise InvalidInput(
            "this Idempotency-Key was already used for a different request",
            field="Idempotency-Key",
        )
    return JSONResponse(
        json.loads(row.body), status_code=row.status_code, headers={"Idempotent-Replayed": "true"}
    )


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class PageRequest:
    limit: int
    offset: int


def page_request(
    limit: Annotated[int, Query(ge=1, le=200, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, description="Items to skip")] = 0,
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


def run_use_case(
    runtime: Runtime,
    request: Request,
    principal: Principal,
    key: str | None,
    use_case,
    *args,
    status_code: int = 200,
):
    """`use_case(uow, edition, now, principal, *args)` in one transaction, idempotently: the
    shape every service's write endpoints share."""
    return write(
        runtime,
        request,
        principal,
        key,
        lambda uow: use_case(uow, runtime.edition, runtime.clock.now(), principal, *args),
        status_code=status_code,
    )
