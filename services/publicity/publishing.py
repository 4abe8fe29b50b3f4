"""Publishing use cases: schedule (embargo), publish to each channel, record or confirm where
an item appeared, correct a published item, and the coverage plan of key activities."""

import json
import uuid
from datetime import datetime

from sqlalchemy import func, insert, select, update

from services.publicity.channels import channel_targets
from services.publicity.domain import (
    Action,
    DeliveryMode,
    DeliveryStatus,
    Rule,
    Status,
    check_may_act,
    next_status,
)
from services.publicity.items import (
    OPEN_DELIVERIES,
    check_content,
    item_data,
    item_out,
    load_item,
    save,
)
from services.publicity.models import deliveries, item_versions, items
from services.publicity.schemas import CorrectionIn, CoverageRow, ItemOut, PublicationIn
from shared.auth import Principal
from shared.edition import Edition
from shared.events.publicity import ItemCorrected, ItemPublished, ItemScheduled, PublishedData
from shared.problems import NotFound, RuleViolated
from shared.uow import UnitOfWork


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
            rule=Rule.EMBARGO_IN_PAST,
        )
    status = next_status(Status(current["status"]), Action.SCHEDULE)
    row = await save(
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
    row = await save(uow, current, {"status": status.value}, None, now, actor=actor)
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
    changed = {k: v for k, v in wanted.items() if current[k] != v}
    if not changed:
        raise RuleViolated(
            "the correction changes nothing: its title, body and link are those published",
            field="body",
            rule=Rule.NOTHING_TO_CORRECT,
        )
    check_content(current | changed)
    if current["version"] == 1:  # keep the original as it was published
        await _keep_version(uow, current, None)
    row = await save(uow, current, changed | {"version": current["version"] + 1}, principal, now)
    await _keep_version(uow, row, data.note)
    await uow.session.execute(
        update(deliveries)
        .where(deliveries.c.item_id == row["id"], deliveries.c.status.in_(OPEN_DELIVERIES))
        .values(status=DeliveryStatus.CANCELLED.value)
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
    where: PublicationIn,
) -> ItemOut:
    """A person says where the item appeared on a manual channel.

    The path's channel must be one the item goes to (else 404, like an unknown item); the
    item's current version must be out on it (else 409 not_publishing), on a manual channel
    not yet recorded (else 409 not_manual_pending).
    """
    current = await load_item(uow, item_id)
    check_may_act(principal, edition, Action.PUBLISH, current["source"])
    if channel not in json.loads(current["channels"]):
        raise NotFound(f"item {item_id} does not go to a channel {channel!r}", field="channel")
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
            f"the item is {current['status']}: version {current['version']} is not being "
            f"published on {channel!r}",
            field="channel",
            rule=Rule.NOT_PUBLISHING,
        )
    if delivery.mode != DeliveryMode.MANUAL or delivery.status != DeliveryStatus.PENDING:
        raise RuleViolated(
            f"{channel} is {delivery.mode} and {delivery.status}: only a pending manual "
            "delivery is recorded by hand",
            field="channel",
            rule=Rule.NOT_MANUAL_PENDING,
        )
    reference = where.reference or str(where.url)
    await mark_published(
        uow, edition.code, delivery._asdict(), reference, now, principal.id, url=where.url
    )
    return await item_out(uow, current)


async def mark_published(
    uow: UnitOfWork,
    edition_code: str,
    delivery: dict,
    reference: str,
    now: datetime,
    actor: str,
    url: str | None = None,
) -> None:
    await uow.session.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery["id"])
        .values(
            status=DeliveryStatus.PUBLISHED.value,
            reference=reference,
            url=url,
            published_at=now,
            last_error=None,
        )
    )
    row = await load_item(uow, delivery["item_id"])
    data = PublishedData(
        **item_data(row).model_dump(),
        channel=delivery["channel"],
        reference=reference,
        published_at=now,
    )
    uow.emit(ItemPublished(edition=edition_code, actor=actor, occurred_at=now, data=data))


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
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now if targets[code].mode == DeliveryMode.PUSH else None,
                "created_at": now,
            }
            for code in json.loads(row["channels"])
        ],
    )
