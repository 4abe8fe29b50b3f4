"""Publicity item use cases: write, review, schedule, publish per channel, correct, withdraw."""

import json
import uuid
from datetime import datetime

from sqlalchemy import insert, select, update

from services.publicity.domain import (
    Action,
    DeliveryStatus,
    Rule,
    Status,
    author_of,
    check_may_act,
    check_may_read,
    is_editor,
    next_status,
)
from services.publicity.models import deliveries, item_versions, items
from services.publicity.schemas import (
    DeliveryOut,
    ItemIn,
    ItemOut,
    ItemPatch,
    VersionOut,
)
from shared.api import Page, PageRequest, paginate
from shared.auth import Principal
from shared.edition import Edition
from shared.events.publicity import (
    ItemApproved,
    ItemData,
    ItemDrafted,
    ItemRejected,
    ItemSubmitted,
    ItemUpdated,
    ItemWithdrawn,
)
from shared.problems import Conflict, InvalidInput, NotFound, RuleViolated
from shared.uow import UnitOfWork

EVENT_OF_ACTION = {
    Action.SUBMIT: ItemSubmitted,
    Action.APPROVE: ItemApproved,
    Action.REJECT: ItemRejected,
    Action.WITHDRAW: ItemWithdrawn,
}


OPEN_DELIVERIES = (DeliveryStatus.PENDING.value, DeliveryStatus.RETRYING.value)


def check_references(edition: Edition, activity: str | None, channels: list[str] | None) -> None:
    """The activity and the channels are the edition's codes (its OpenAPI enums), else 422."""
    codes = edition.code_sets
    if activity is not None and activity not in codes["activity"]:
        known = ", ".join(codes["activity"])
        raise InvalidInput(f"unknown activity {activity!r}; known: {known}", field="activity")
    if channels is not None:
        unknown = [c for c in channels if c not in codes["channel"]]
        if unknown:
            raise InvalidInput(
                f"unknown channels: {', '.join(unknown)}; known: {', '.join(codes['channel'])}",
                field="channels",
            )
        if len(set(channels)) != len(channels):
            raise InvalidInput("each channel once", field="channels")


def check_content(row: dict) -> None:
    """An item always has a body or a link (a video or a poster may be a link alone).

    A new item's body says so itself (a 422); a change is refused for what the item already
    holds, a state the request cannot show: a 409."""
    if not row["body"] and not row["link"]:
        raise RuleViolated(
            "an item has a body or a link: this change would leave it with neither",
            field="body",
            rule=Rule.NO_CONTENT,
        )


async def draft(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, data: ItemIn
) -> ItemOut:
    source, county = author_of(principal, edition)
    check_references(edition, data.activity, data.channels)
    row = data.model_dump(mode="json") | {
        "id": str(uuid.uuid4()),
        "source": source,
        "county": county,
        "channels": json.dumps(data.channels),
        "status": Status.DRAFT.value,
        "version": 1,
        "revision": 1,
        "embargo_until": None,
        "reason": None,
        "created_at": now,
        "created_by": principal.id,
        "updated_at": now,
        "updated_by": principal.id,
    }
    await uow.session.execute(insert(items).values(row))
    uow.emit(
        ItemDrafted(edition=edition.code, actor=principal.id, occurred_at=now, data=item_data(row))
    )
    return await item_out(uow, row)


async def edit(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    item_id: uuid.UUID,
    patch: ItemPatch,
) -> ItemOut:
    current = await load_item(uow, item_id)
    check_may_act(principal, edition, Action.EDIT, current["source"])
    next_status(Status(current["status"]), Action.EDIT)
    wanted = patch.model_dump(mode="json", exclude_unset=True)
    check_references(edition, wanted.get("activity"), wanted.get("channels"))
    if "channels" in wanted:
        wanted["channels"] = json.dumps(wanted["channels"])
    changed = {k: v for k, v in wanted.items() if current[k] != v}
    if not changed:
        return await item_out(uow, current)
    check_content(current | changed)
    row = await save(uow, current, changed, principal, now)
    uow.emit(
        ItemUpdated(edition=edition.code, actor=principal.id, occurred_at=now, data=item_data(row))
    )
    return await item_out(uow, row)


async def act(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    item_id: uuid.UUID,
    action: Action,
    reason: str | None = None,
) -> ItemOut:
    """submit, approve, reject (reason), withdraw (reason)."""
    current = await load_item(uow, item_id)
    check_may_act(principal, edition, action, current["source"])
    status = next_status(Status(current["status"]), action)
    row = await save(uow, current, {"status": status.value, "reason": reason}, principal, now)
    if action is Action.WITHDRAW:  # nothing more goes out
        await uow.session.execute(
            update(deliveries)
            .where(deliveries.c.item_id == row["id"], deliveries.c.status.in_(OPEN_DELIVERIES))
            .values(status=DeliveryStatus.CANCELLED.value)
        )
    uow.emit(
        EVENT_OF_ACTION[action](
            edition=edition.code, actor=principal.id, occurred_at=now, data=item_data(row)
        )
    )
    return await item_out(uow, row)


async def list_items(
    uow: UnitOfWork,
    edition: Edition,
    principal: Principal,
    page: PageRequest,
    status: Status | None,
    activity: str | None,
) -> Page[ItemOut]:
    query = select(items)
    if not is_editor(principal, edition):
        source, _county = author_of(principal, edition)
        query = query.where(items.c.source == source)
    if status:
        query = query.where(items.c.status == status.value)
    if activity:
        query = query.where(items.c.activity == activity)
    result = await paginate(uow.session, query, page, lambda r: r, items.c.created_at, items.c.id)
    return Page(
        items=[await item_out(uow, r) for r in result.items],
        total=result.total,
        limit=page.limit,
        offset=page.offset,
    )


async def show(
    uow: UnitOfWork, edition: Edition, principal: Principal, item_id: uuid.UUID
) -> ItemOut:
    row = await load_item(uow, item_id)
    check_may_read(principal, edition, row["source"])
    return await item_out(uow, row)


async def versions(
    uow: UnitOfWork, edition: Edition, principal: Principal, item_id: uuid.UUID, page: PageRequest
) -> Page[VersionOut]:
    """The published versions kept (from the first correction on), oldest first."""
    row = await load_item(uow, item_id)
    check_may_read(principal, edition, row["source"])
    query = select(item_versions).where(item_versions.c.item_id == row["id"])
    return await paginate(
        uow.session, query, page, VersionOut.model_validate, item_versions.c.version
    )


async def load_item(uow: UnitOfWork, item_id) -> dict:
    row = (await uow.session.execute(select(items).where(items.c.id == str(item_id)))).first()
    if row is None:
        raise NotFound(f"no item {item_id}", field="item_id")
    return row._asdict()


async def save(
    uow: UnitOfWork,
    current: dict,
    values: dict,
    principal: Principal | None,
    now: datetime,
    actor: str = "",
) -> dict:
    values = values | {
        "revision": current["revision"] + 1,
        "updated_at": now,
        "updated_by": principal.id if principal else actor,
    }
    result = await uow.session.execute(
        update(items)
        .where(items.c.id == current["id"], items.c.revision == current["revision"])
        .values(values)
    )
    if result.rowcount != 1:
        raise Conflict("the item changed meanwhile; reload it and try again")
    return current | values


def item_data(row: dict, reason: str | None = None) -> ItemData:
    return ItemData(
        item_id=row["id"],
        version=row["version"],
        title=row["title"],
        kind=row["kind"],
        county=row["county"],
        author_unit=row["author_unit"],
        activity=row["activity"],
        channels=tuple(json.loads(row["channels"])),
        status=row["status"],
        embargo_until=row["embargo_until"],
        reason=reason if reason is not None else row["reason"],
    )


async def item_out(uow: UnitOfWork, row: dict) -> ItemOut:
    sent = await uow.session.execute(
        select(deliveries)
        .where(deliveries.c.item_id == row["id"])
        .order_by(deliveries.c.version, deliveries.c.channel)
    )
    return ItemOut.model_validate(
        row
        | {
            "channels": json.loads(row["channels"]),
            "deliveries": [DeliveryOut.model_validate(d._asdict()) for d in sent],
        }
    )
