"""Publicity HTTP endpoints: parse, call a use case (which authorizes), answer."""

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from services.publicity import bulletins, items, publishing
from services.publicity.domain import Action, Status
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
from shared.api import CurrentPrincipal, IdempotencyKey, Page, Paging, RuntimeDep, run_use_case
from shared.schemas import ReasonIn

router = APIRouter()
Principal = CurrentPrincipal
Key = IdempotencyKey
ItemId = uuid.UUID


@router.post("/items", status_code=201, response_model=ItemOut, tags=["items"])
async def draft_item(
    body: ItemIn, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    """Write a publicity item (宣传稿件) as a draft: a county or a working group writes its own."""
    return await run_use_case(runtime, request, principal, key, items.draft, body, status_code=201)


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
    """A new version of a published item (the old one is kept), sent to its channels again."""
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
    """Record where the item appeared on a manual channel (newspaper page, TV programme...)."""
    return await run_use_case(
        runtime,
        request,
        principal,
        key,
        publishing.record_publication,
        item_id,
        channel,
        body.reference,
    )


@router.get("/items", response_model=Page[ItemOut], tags=["items"])
async def list_items(
    principal: Principal,
    runtime: RuntimeDep,
    paging: Paging,
    status: Status | None = None,
    activity: Annotated[str | None, Query(max_length=32)] = None,
):
    """Items with their deliveries per channel. Authors see their own; editors see all."""
    async with runtime.unit_of_work() as uow:
        return await items.list_items(uow, runtime.edition, principal, paging, status, activity)


@router.get("/items/{item_id}", response_model=ItemOut, tags=["items"])
async def show_item(item_id: ItemId, principal: Principal, runtime: RuntimeDep):
    async with runtime.unit_of_work() as uow:
        return await items.show(uow, runtime.edition, principal, item_id)


@router.get("/items/{item_id}/versions", response_model=list[VersionOut], tags=["items"])
async def item_versions(item_id: ItemId, principal: Principal, runtime: RuntimeDep):
    """Every published version, the corrected ones kept."""
    async with runtime.unit_of_work() as uow:
        return await items.versions(uow, runtime.edition, principal, item_id)


@router.get("/coverage", response_model=list[CoverageRow], tags=["items"])
async def coverage(principal: Principal, runtime: RuntimeDep):
    """For each key activity, items planned and published: the gaps before the day."""
    async with runtime.unit_of_work() as uow:
        return await publishing.coverage(uow, runtime.edition)


@router.post("/bulletins", status_code=201, response_model=BulletinOut, tags=["bulletins"])
async def submit_bulletin(
    body: BulletinIn, request: Request, principal: Principal, runtime: RuntimeDep, key: Key = None
):
    """Send an information bulletin (信息报送) to the committee."""
    return await run_use_case(
        runtime, request, principal, key, bulletins.submit, body, status_code=201
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
    principal: Principal,
    runtime: RuntimeDep,
    paging: Paging,
    status: Literal["received", "adopted", "not_adopted"] | None = None,
):
    async with runtime.unit_of_work() as uow:
        return await bulletins.list_bulletins(uow, runtime.edition, principal, paging, status)


@router.get("/bulletins/adoption", response_model=list[AdoptionCount], tags=["bulletins"])
async def adoption_counts(
    principal: Principal,
    runtime: RuntimeDep,
    period: Literal["day", "week", "month", "all"] = "week",
    since: date | None = None,
    until: date | None = None,
):
    """Bulletins received and adopted per county or group and period."""
    async with runtime.unit_of_work() as uow:
        return await bulletins.adoption_counts(uow, period, since, until)
