"""Background work: publish embargoed items when their time comes, and push to push channels.

Both read their work from the database, so a restart only delays them. Each push delivery
is tried on its own: a failing channel is retried with backoff and never holds the others.
"""

import asyncio
import json
import logging

import httpx
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select, update

from services.publicity import items as item_cases
from services.publicity import publishing
from services.publicity.channels import channel_targets, quiet_http_client_urls, safe_error
from services.publicity.domain import DeliveryMode, DeliveryStatus, retry_delay
from services.publicity.items import OPEN_DELIVERIES
from services.publicity.models import deliveries
from services.publicity.schemas import Url
from shared.aio import cancel_requested
from shared.runtime import Runtime
from shared.webhooks import signed_headers

log = logging.getLogger(__name__)
BATCH = 20
PUSH_TIMEOUT_SECONDS = 10.0
URL_ADAPTER = TypeAdapter(Url)


async def release_embargoed_forever(runtime: Runtime) -> None:
    while not cancel_requested():
        try:
            async with runtime.unit_of_work() as uow:
                released = await publishing.release_due(uow, runtime.edition, runtime.clock.now())
                await uow.commit()
            if released:
                log.info("published %d item(s) whose embargo passed", released)
        except Exception:
            log.exception("embargo release failed; retrying")
        await asyncio.sleep(runtime.settings.background_poll_interval)


async def push_forever(runtime: Runtime) -> None:
    targets = channel_targets(runtime.edition)
    quiet_http_client_urls()
    async with httpx.AsyncClient(timeout=PUSH_TIMEOUT_SECONDS) as client:
        while not cancel_requested():
            try:
                pushed = await push_due(runtime, client, targets)
            except Exception as exc:
                log.error("push round failed; retrying: %s", _safe(exc, targets))
                pushed = 0
            if pushed < BATCH:
                await asyncio.sleep(runtime.settings.background_poll_interval)


async def push_due(runtime: Runtime, client: httpx.AsyncClient, targets) -> int:
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        due = (
            await session.execute(
                select(deliveries)
                .where(
                    deliveries.c.mode == DeliveryMode.PUSH.value,
                    deliveries.c.status.in_(OPEN_DELIVERIES),
                    deliveries.c.next_attempt_at <= now,
                )
                .order_by(deliveries.c.next_attempt_at)
                .limit(BATCH)
            )
        ).all()
    await asyncio.gather(*(_push_one(runtime, client, targets, d._asdict()) for d in due))
    return len(due)


async def _push_one(runtime: Runtime, client: httpx.AsyncClient, targets, delivery: dict) -> None:
    target = targets.get(delivery["channel"])
    async with runtime.unit_of_work() as uow:
        item = await item_cases.load_item(uow, delivery["item_id"])
    body = json.dumps(_payload(runtime, item, delivery), ensure_ascii=False).encode()
    try:
        if target is None or target.url is None:
            raise RuntimeError(f"channel {delivery['channel']} is no longer a push channel")
        response = await client.post(
            target.url, content=body, headers=signed_headers(target.secret, delivery["id"], body)
        )
        response.raise_for_status()
        reference, url = _reference(response)
        reference = reference or f"{delivery['channel']}#{delivery['id']}"
    except Exception as exc:
        await _retry_later(runtime, delivery, safe_error(exc, target and target.url))
        return
    async with runtime.unit_of_work() as uow:
        await publishing.mark_published(
            uow,
            runtime.edition.code,
            delivery,
            reference,
            runtime.clock.now(),
            "system:push",
            url=url,
        )
        await uow.commit()


async def _retry_later(runtime: Runtime, delivery: dict, error: str) -> None:
    attempts = delivery["attempts"] + 1
    log.warning("push to %s failed (attempt %d): %s", delivery["channel"], attempts, error)
    async with runtime.unit_of_work() as uow:  # a writer like any other (queued on SQLite)
        await uow.session.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery["id"])
            .values(
                status=DeliveryStatus.RETRYING.value,
                attempts=attempts,
                last_error=error,
                next_attempt_at=runtime.clock.now() + retry_delay(attempts),
            )
        )
        await uow.commit()


def _safe(exc: BaseException, targets) -> str:
    return safe_error(exc, *(t.url for t in targets.values()))


def _payload(runtime: Runtime, item: dict, delivery: dict) -> dict:
    return {
        "type": "expo.publicity.item",
        "edition": runtime.edition.code,
        "channel": delivery["channel"],
        "item_id": item["id"],
        "version": delivery["version"],
        "title": item["title"],
        "kind": item["kind"],
        "body": item["body"],
        "link": item["link"],
        "author_unit": item["author_unit"],
        "county": item["county"],
        "activity": item["activity"],
    }


def _reference(response: httpx.Response) -> tuple[str | None, str | None]:
    """(reference, url) from a receiver's answer {"url": ...} or {"reference": ...}; the url
    only when it is an http(s) URL that fits. Otherwise we keep our own reference."""
    try:
        answer = response.json()
    except ValueError:
        return None, None
    if not isinstance(answer, dict):
        return None, None
    value = answer.get("url") or answer.get("reference")
    reference = str(value)[:500] if value else None
    try:
        url = URL_ADAPTER.validate_python(answer.get("url"))
    except ValidationError:
        url = None
    return reference, url
