"""Publicity item use cases: write, review, schedule, publish per channel, correct, withdraw."""

import json
import uuid
from datetime import datetime

from sqlalchemy import func, insert, select, update

from services.publicity.channels import channel_targets
from services.publicity.domain import (
    Action,
    Status,
    author_of,
    check_may_act,
    check_may_read,
    is_editor,
    next_status,
)
from services.publicity.models import deliveries, item_versions, items
from services.publicity.schemas import (
    CorrectionIn,
    CoverageRow,
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
    ItemCorrected,
    ItemData,
    ItemDrafted,
    ItemPublished,
    ItemRejected,
    ItemScheduled,
    ItemSubmitted,
    ItemUpdated,
    ItemWithdrawn,
    PublishedData,
)
from shared.problems import Conflict, InvalidInput, NotFound, RuleViolated, reject_nulls
from shared.uow import UnitOfWork

EVENT_OF_ACTION = {
    Action.SUBMIT: ItemSubmitted,
    Action.APPROVE: ItemApproved,
    Action.REJECT: ItemRejected,
    Action.WITHDRAW: ItemWithdrawn,
}


def check_references(edition: Edition, activity: str | None, channels: list[str] | None) -> None:
    if activity is not None and activity not in {a.code for a in edition.publicity.activities}:
        known = ", ".join(a.code for a in edition.publicity.activities)
        raise InvalidInput(f"unknown activity {activity!r}; known: {known}", field="activity")
    if channels is not None:
        known_channels = {c.code for c in edition.publicity.channels}
        unknown = [c for c in channels if c not in known_channels]
        if unknown:
            raise InvalidInput(
                f"unknown channels: {', '.join(unknown)}; known: {', '.join(sorted(known_channels))}",
                field="channels",
            )
        if len(set(channels)) != len(channels):
            raise InvalidInput("each channel once", field="channels")


async def draft(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, data: ItemIn
) -> ItemOut:
    source, county = author_of(principal)
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
    reject_nulls(wanted)
    check_references(edition, wanted.get("activity"), wanted.get("channels"))
    if "channels" in wanted:
        wanted["channels"] = json.dumps(wanted["channels"])
    changed = {k: v for k, v in wanted.items() if current[k] != v}
    if not changed:
        return await item_out(uow, current)
    row = await _save(uow, current, changed, principal, now)
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
    row = await _save(uow, current, {"status": status.value, "reason": reason}, principal, now)
    if action is Action.WITHDRAW:  # nothing more goes out
        await uow.session.execute(
            update(deliveries)
            .where(
                deliveries.c.item_id == row["id"], deliveries.c.status.in_(["pending", "retrying"])
            )
            .values(status="cancelled")
        )
    uow.emit(
        EVENT_OF_ACTION[action](
            edition=edition.code, actor=principal.id, occurred_at=now, data=item_data(row)
        )
    )
    return await item_out(uow, row)


async def schedule(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    item_id: uuid.UUID,
    embargo_until: datetime,
) -> ItemOut:
    current = await load_item(uow, item_id)
    check_may_act(principal, edition, Action.SCHEDULE, current["source"])
    if embargo_until <= now:
        raise RuleViolated(
            "the embargo must lie in the future; publish now instead",
            field="embargo_until",
            rule="embargo_in_past",
        )
    status = next_status(Status(current["status"]), Action.SCHEDULE)
    row = await _save(
        uow, current, {"status": status.value, "embargo_until": embargo_until}, principal, now
    )
    uow.emit(
        ItemScheduled(
            edition=edition.code, actor=principal.id, occurred_at=now, data=item_data(row)
        )
    )
    return await item_out(uow, row)


async def publish(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, item_id: uuid.UUID
) -> ItemOut:
    current = await load_item(uow, item_id)
    check_may_act(principal, edition, Action.PUBLISH, current["source"])
    return await release(uow, edition, now, principal.id, current)


async def release(
    uow: UnitOfWork, edition: Edition, now: datetime, actor: str, current: dict
) -> ItemOut:
    """Publish an approved (or embargoed) item: one delivery per channel, pushed or recorded."""
    status = next_status(Status(current["status"]), Action.PUBLISH)
    row = await _save(uow, current, {"status": status.value}, None, now, actor=actor)
    await _open_deliveries(uow, edition, row, now)
    return await item_out(uow, row)


async def release_due(uow: UnitOfWork, edition: Edition, now: datetime) -> int:
    """Scheduled items whose embargo has passed publish themselves (run by a background task)."""
    due = await uow.session.execute(
        select(items).where(items.c.status == Status.SCHEDULED.value, items.c.embargo_until <= now)
    )
    rows = [r._asdict() for r in due]
    for row in rows:
        await release(uow, edition, now, "system:embargo", row)
    return len(rows)


async def correct(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    item_id: uuid.UUID,
    data: CorrectionIn,
) -> ItemOut:
    """A published item gets a new version (the old one is kept) that goes out to its channels again."""
    current = await load_item(uow, item_id)
    check_may_act(principal, edition, Action.CORRECT, current["source"])
    next_status(Status(current["status"]), Action.CORRECT)
    wanted = data.model_dump(mode="json", exclude_unset=True, exclude={"note"})
    reject_nulls(wanted)
    changed = {k: v for k, v in wanted.items() if current[k] != v}
    if not changed:
        raise InvalidInput("a correction changes the title, the body or the link", field="body")
    if current["version"] == 1:  # keep the original as it was published
        await _keep_version(uow, current, None)
    row = await _save(uow, current, changed | {"version": current["version"] + 1}, principal, now)
    await _keep_version(uow, row, data.note)
    await uow.session.execute(
        update(deliveries)
        .where(deliveries.c.item_id == row["id"], deliveries.c.status.in_(["pending", "retrying"]))
        .values(status="cancelled")
    )
    await _open_deliveries(uow, edition, row, now)
    uow.emit(
        ItemCorrected(
            edition=edition.code,
            actor=principal.id,
            occurred_at=now,
            data=item_data(row, reason=data.note),
        )
    )
    return await item_out(uow, row)


async def record_publication(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    item_id: uuid.UUID,
    channel: str,
    reference: str,
) -> ItemOut:
    """A person says where the item appeared on a manual channel."""
    current = await load_item(uow, item_id)
    check_may_act(principal, edition, Action.PUBLISH, current["source"])
    delivery = (
        await uow.session.execute(
            select(deliveries).where(
                deliveries.c.item_id == current["id"],
                deliveries.c.version == current["version"],
                deliveries.c.channel == channel,
            )
        )
    ).first()
    if delivery is None:
        raise RuleViolated(
            f"the item is not being published on {channel!r}",
            field="channel",
            rule="not_publishing",
        )
    if delivery.mode != "manual" or delivery.status == "published":
        raise RuleViolated(
            f"{channel} is {delivery.mode} and {delivery.status}",
            field="channel",
            rule="not_manual_pending",
        )
    await mark_published(uow, edition.code, delivery._asdict(), reference, now, principal.id)
    return await item_out(uow, current)


async def mark_published(
    uow: UnitOfWork, edition_code: str, delivery: dict, reference: str, now: datetime, actor: str
) -> None:
    await uow.session.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery["id"])
        .values(status="published", reference=reference, published_at=now, last_error=None)
    )
    row = await load_item(uow, delivery["item_id"])
    data = PublishedData(
        **item_data(row).model_dump(),
        channel=delivery["channel"],
        reference=reference,
        published_at=now,
    )
    uow.emit(ItemPublished(edition=edition_code, actor=actor, occurred_at=now, data=data))


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
        source, _county = author_of(principal)
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
    uow: UnitOfWork, edition: Edition, principal: Principal, item_id: uuid.UUID
) -> list[VersionOut]:
    row = await load_item(uow, item_id)
    check_may_read(principal, edition, row["source"])
    kept = await uow.session.execute(
        select(item_versions)
        .where(item_versions.c.item_id == row["id"])
        .order_by(item_versions.c.version)
    )
    return [VersionOut.model_validate(v._asdict()) for v in kept]


async def coverage(uow: UnitOfWork, edition: Edition) -> list[CoverageRow]:
    """For each key activity: items planned (not rejected or withdrawn) and published."""
    counts = await uow.session.execute(
        select(items.c.activity, items.c.status, func.count()).group_by(
            items.c.activity, items.c.status
        )
    )
    planned: dict[str, int] = {}
    published: dict[str, int] = {}
    for activity, status, n in counts:
        if status not in (Status.REJECTED.value, Status.WITHDRAWN.value):
            planned[activity] = planned.get(activity, 0) + n
        if status == Status.PUBLISHED.value:
            published[activity] = published.get(activity, 0) + n
    return [
        CoverageRow(
            activity=a.code,
            name=a.name,
            day=a.day,
            planned=planned.get(a.code, 0),
            published=published.get(a.code, 0),
            gap=not published.get(a.code),
        )
        for a in edition.publicity.activities
    ]


async def load_item(uow: UnitOfWork, item_id) -> dict:
    row = (await uow.session.execute(select(items).where(items.c.id == str(item_id)))).first()
    if row is None:
        raise NotFound(f"no item {item_id}", field="item_id")
    return row._asdict()


async def _save(
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


async def _keep_version(uow: UnitOfWork, row: dict, note: str | None) -> None:
    await uow.session.execute(
        insert(item_versions).values(
            item_id=row["id"],
            version=row["version"],
            title=row["title"],
            body=row["body"],
            link=row["link"],
            note=note,
            created_at=row["updated_at"],
            created_by=row["updated_by"],
        )
    )


async def _open_deliveries(uow: UnitOfWork, edition: Edition, row: dict, now: datetime) -> None:
    targets = channel_targets(edition)
    await uow.session.execute(
        insert(deliveries),
        [
            {
                "id": str(uuid.uuid4()),
                "item_id": row["id"],
                "version": row["version"],
                "channel": code,
                "mode": targets[code].mode,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now if targets[code].mode == "push" else None,
                "created_at": now,
            }
            for code in json.loads(row["channels"])
        ],
    )


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
