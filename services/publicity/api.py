"""Publicity HTTP endpoints: parse, call a use case (which authorizes), answer."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.publicity import bulletins, items, publishing
from services.publicity.domain import Action, AdoptionPeriod, BulletinStatus, Status
from services.publicity.schemas import (
    AdoptionCount,
    BulletinIn,
    BulletinOut,
    CorrectionIn,
    CoverageRow,
    DecisionIn,
    ItemIn,
    ItemOut,
    ItemPatch,
    PublicationIn,
    ScheduleIn,
    VersionOut,
)
from shared.api import (
    CurrentPrincipal,
    IdempotencyKey,
    Page,
    Paging,
    RuntimeDep,
    at,
    known_code,
    page_of,
    run_use_case,
)
from shared.problems import InvalidInput
from shared.schemas import DayIn, ReasonIn

router = APIRouter()
Principal = CurrentPrincipal
Key = IdempotencyKey
ItemId = uuid.UUID


@router.post("/items", status_code=201, response_model=ItemOut, tags=["items"])
async def draft_item(
    body: ItemIn, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    """Write a publicity item (宣传稿件) as a draft: a county or a working group writes its own.

    Answers 201 with the item and its Location."""
    return await run_use_case(
        runtime,
        request,
        principal,
        key,
        items.draft,
        body,
        status_code=201,
        location=at("/api/v1/items/{id}"),
    )


@router.patch("/items/{item_id}", response_model=ItemOut, tags=["items"])
async def edit_item(
    item_id: ItemId,
    body: ItemPatch,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Edit a draft or rejected item; a published one is changed by a correction."""
    return await run_use_case(runtime, request, principal, key, items.edit, item_id, body)


@router.post("/items/{item_id}/submit", response_model=ItemOut, tags=["items"])
async def submit_item(
    item_id: ItemId, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    return await run_use_case(runtime, request, principal, key, items.act, item_id, Action.SUBMIT)


@router.post("/items/{item_id}/approve", response_model=ItemOut, tags=["items"])
async def approve_item(
    item_id: ItemId, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    """Editorial approval (the publicity group, the committee)."""
    return await run_use_case(runtime, request, principal, key, items.act, item_id, Action.APPROVE)


@router.post("/items/{item_id}/reject", response_model=ItemOut, tags=["items"])
async def reject_item(
    item_id: ItemId,
    body: ReasonIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    return await run_use_case(
        runtime, request, principal, key, items.act, item_id, Action.REJECT, body.reason
    )


@router.post("/items/{item_id}/withdraw", response_model=ItemOut, tags=["items"])
async def withdraw_item(
    item_id: ItemId,
    body: ReasonIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Withdraw an item, saying why; nothing more goes out to its channels."""
    return await run_use_case(
        runtime, request, principal, key, items.act, item_id, Action.WITHDRAW, body.reason
    )


@router.post("/items/{item_id}/schedule", response_model=ItemOut, tags=["items"])
async def schedule_item(
    item_id: ItemId,
    body: ScheduleIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Hold an approved item until its embargo passes; it then publishes itself."""
    return await run_use_case(
        runtime, request, principal, key, publishing.schedule, item_id, body.embargo_until
    )


@router.post("/items/{item_id}/publish", response_model=ItemOut, tags=["items"])
async def publish_item(
    item_id: ItemId, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    """Publish an approved item now, to each of its channels."""
    return await run_use_case(runtime, request, principal, key, publishing.publish, item_id)


@router.post("/items/{item_id}/corrections", response_model=ItemOut, tags=["items"])
async def correct_item(
    item_id: ItemId,
    body: CorrectionIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """A new version of a published item (the old one is kept), sent to its channels again.

    A correction changes the published item, as a PATCH changes a draft: it answers 200 with
    the item (its new `version`, its new deliveries); the versions kept are listed at
    `/items/{item_id}/versions`."""
    return await run_use_case(runtime, request, principal, key, publishing.correct, item_id, body)


@router.post(
    "/items/{item_id}/channels/{channel}/publication", response_model=ItemOut, tags=["items"]
)
async def record_publication(
    item_id: ItemId,
    channel: str,
    body: PublicationIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Record where the item appeared on a manual channel (newspaper page, TV programme, a
    URL). 404 when the item does not go to `channel`."""
    return await run_use_case(
        runtime, request, principal, key, publishing.record_publication, item_id, channel, body
    )


@router.get("/items", response_model=Page[ItemOut], tags=["items"])
async def list_items(
    principal: Principal,
    runtime: RuntimeDep,
    paging: Paging,
    status: Status | None = None,
    activity: Annotated[
        str | None, Query(max_length=32, description="A key activity of the edition")
    ] = None,
):
    """Items with their deliveries per channel. Authors see their own; editors see all."""
    if activity is not None:
        known_code(runtime, "activity", activity)
    async with runtime.unit_of_work() as uow:
        return await items.list_items(uow, runtime.edition, principal, paging, status, activity)


@router.get("/items/{item_id}", response_model=ItemOut, tags=["items"])
async def show_item(item_id: ItemId, principal: Principal, runtime: RuntimeDep):
    async with runtime.unit_of_work() as uow:
        return await items.show(uow, runtime.edition, principal, item_id)


@router.get("/items/{item_id}/versions", response_model=Page[VersionOut], tags=["items"])
async def item_versions(item_id: ItemId, principal: Principal, runtime: RuntimeDep, paging: Paging):
    """The published versions kept once an item is corrected (the first one included), oldest
    first."""
    async with runtime.unit_of_work() as uow:
        return await items.versions(uow, runtime.edition, principal, item_id, paging)


@router.get("/coverage", response_model=Page[CoverageRow], tags=["items"])
async def coverage(principal: Principal, runtime: RuntimeDep, paging: Paging):
    """For each key activity, items planned and published: the gaps before the day."""
    async with runtime.unit_of_work() as uow:
        return page_of(await publishing.coverage(uow, runtime.edition), paging)


@router.post("/bulletins", status_code=201, response_model=BulletinOut, tags=["bulletins"])
async def submit_bulletin(
    body: BulletinIn, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    """Send an information bulletin (信息报送) to the committee. Answers 201 with the bulletin
    and its Location."""
    return await run_use_case(
        runtime,
        request,
        principal,
        key,
        bulletins.submit,
        body,
        status_code=201,
        location=at("/api/v1/bulletins/{id}"),
    )


@router.post("/bulletins/{bulletin_id}/decision", response_model=BulletinOut, tags=["bulletins"])
async def decide_bulletin(
    bulletin_id: uuid.UUID,
    body: DecisionIn,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    key: Key = None,
):
    """Adopt (采用) a bulletin or not (the committee, the coordination group)."""
    return await run_use_case(
        runtime, request, principal, key, bulletins.decide, bulletin_id, body.adopted, body.reason
    )


@router.get("/bulletins", response_model=Page[BulletinOut], tags=["bulletins"])
async def list_bulletins(
    principal: Principal, runtime: RuntimeDep, paging: Paging, status: BulletinStatus | None = None
):
    """Bulletins, oldest first: authors see their own; the deciders see all."""
    async with runtime.unit_of_work() as uow:
        return await bulletins.list_bulletins(uow, runtime.edition, principal, paging, status)


@router.get("/bulletins/adoption", response_model=Page[AdoptionCount], tags=["bulletins"])
async def adoption_counts(
    principal: Principal,
    runtime: RuntimeDep,
    paging: Paging,
    period: AdoptionPeriod = AdoptionPeriod.WEEK,
    since: Annotated[
        DayIn | None, Query(description="First local day counted (YYYY-MM-DD)")
    ] = None,
    until: Annotated[DayIn | None, Query(description="Last local day counted (YYYY-MM-DD)")] = None,
):
    """Bulletins received and adopted per county or group and period, by source then period."""
    if since is not None and until is not None and until < since:
        raise InvalidInput(f"until ({until}) is before since ({since})", field="until")
    async with runtime.unit_of_work() as uow:
        return page_of(await bulletins.adoption_counts(uow, period, since, until), paging)


@router.get("/bulletins/{bulletin_id}", response_model=BulletinOut, tags=["bulletins"])
async def show_bulletin(bulletin_id: uuid.UUID, principal: Principal, runtime: RuntimeDep):
    """One bulletin: its author (a county or group) sees its own; the deciders see all."""
    async with runtime.unit_of_work() as uow:
        return await bulletins.show(uow, runtime.edition, principal, bulletin_id)
