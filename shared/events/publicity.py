"""Events published by the publicity service (宣传报道 / 信息报送)."""

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import Field

from shared.events.base import Event, EventData


class ItemData(EventData):
    """The item (this version) as it stands after the change. Its body is not sent."""

    item_id: uuid.UUID = Field(description="The item's id")
    version: int = Field(description="Content version: grows with each correction")
    title: str = Field(description="Headline")
    kind: str = Field(description="news | press_release | video | poster | social_post")
    county: str | None = Field(description="The author's county (county authors), else null")
    author_unit: str = Field(description="Name of the unit that wrote it")
    activity: str = Field(description="The edition's key activity it covers, e.g. launch_ceremony")
    channels: tuple[str, ...] = Field(description="Codes of the channels it goes to, e.g. wechat")
    status: str = Field(
        description="draft | submitted | approved | rejected | scheduled | published | withdrawn"
    )
    embargo_until: datetime | None = Field(
        default=None, description="Not published before this time (UTC), when scheduled"
    )
    reason: str | None = Field(
        default=None, description="Why it was rejected or withdrawn, or what a correction changed"
    )


def _item(status: str, version: int = 1, **changes: Any) -> dict[str, Any]:
    """One item at successive points of its life, for the examples."""
    return {
        "item_id": "3f8a2c6e-4d1b-4e9a-a7c3-6b0e2d5f8a19",
        "version": version,
        "title": "崆峒区12项科技成果亮相首届科技创新成果展",
        "kind": "news",
        "county": "kongtong",
        "author_unit": "崆峒区科技局",
        "activity": "exhibition",
        "channels": ["newspaper", "wechat"],
        "status": status,
        "embargo_until": None,
        "reason": None,
    } | changes


class ItemDrafted(Event):
    """A county or group wrote a publicity item (宣传稿件) as a draft."""

    TYPE: ClassVar[str] = "expo.publicity.item.drafted"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "kongtong-zhang",
        "data": _item("draft", title="崆峒区科技成果亮相成果展"),
    }
    data: ItemData


class ItemUpdated(Event):
    """A draft or rejected item was edited (its status did not change)."""

    TYPE: ClassVar[str] = "expo.publicity.item.updated"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "kongtong-zhang",
        "data": _item("draft"),
    }
    data: ItemData


class ItemSubmitted(Event):
    """A publicity item was submitted for editorial review."""

    TYPE: ClassVar[str] = "expo.publicity.item.submitted"
    EXAMPLE: ClassVar[dict[str, Any]] = {"actor": "kongtong-zhang", "data": _item("submitted")}
    data: ItemData


class ItemApproved(Event):
    """The editors approved an item: it can be scheduled or published."""

    TYPE: ClassVar[str] = "expo.publicity.item.approved"
    EXAMPLE: ClassVar[dict[str, Any]] = {"actor": "publicity-leader", "data": _item("approved")}
    data: ItemData


class ItemRejected(Event):
    """The editors rejected an item; `data.reason` says why. The author may correct it and
    submit it again."""

    TYPE: ClassVar[str] = "expo.publicity.item.rejected"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "publicity-leader",
        "data": _item("rejected", reason="成果数量与报名数据不一致,请核实"),
    }
    data: ItemData


class ItemScheduled(Event):
    """An approved item waits for its embargo (`data.embargo_until`) and then publishes itself."""

    TYPE: ClassVar[str] = "expo.publicity.item.scheduled"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "publicity-leader",
        "data": _item("scheduled", embargo_until="2020-08-28T01:00:00Z"),
    }
    data: ItemData


class PublishedData(ItemData):
    """The item (this version) and where it appeared."""

    channel: str = Field(description="The channel it appeared on")
    reference: str = Field(description="Where it appeared: a URL or the channel's reference")
    published_at: datetime = Field(description="When it appeared, in UTC")


class ItemPublished(Event):
    """The item (this version) appeared on one channel: one event per channel, when that
    channel confirms it (a person records it, or a push channel accepts it)."""

    TYPE: ClassVar[str] = "expo.publicity.item.published"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "system:push",
        "occurred_at": "2020-08-28T01:00:05Z",
        "data": {
            **_item("published", embargo_until="2020-08-28T01:00:00Z"),
            "channel": "wechat",
            "reference": "https://mp.weixin.qq.com/s/pingliang-kjz-0828",
            "published_at": "2020-08-28T01:00:05Z",
        },
    }
    data: PublishedData


class ItemCorrected(Event):
    """A published item got a corrected version (`data.version`) that goes out to its channels
    again (new `item.published` events follow); the old version is kept, and `data.reason`
    says what changed."""

    TYPE: ClassVar[str] = "expo.publicity.item.corrected"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "publicity-leader",
        "occurred_at": "2020-08-28T03:10:00Z",
        "data": _item(
            "published",
            version=2,
            title="崆峒区13项科技成果亮相首届科技创新成果展",
            embargo_until="2020-08-28T01:00:00Z",
            reason="更正参展成果数量为13项",
        ),
    }
    data: ItemData


class ItemWithdrawn(Event):
    """An item was withdrawn by its author or the editors; it will not be (further) published.
    `data.reason` says why when one was given."""

    TYPE: ClassVar[str] = "expo.publicity.item.withdrawn"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "kongtong-zhang",
        "data": _item("withdrawn", reason="活动延期"),
    }
    data: ItemData


class BulletinData(EventData):
    """The bulletin as it stands after the change. Its text is not sent."""

    bulletin_id: uuid.UUID = Field(description="The bulletin's id")
    title: str = Field(description="Title of the bulletin")
    source: str = Field(description="county:<code> or group:<code>")
    county: str | None = Field(description="The source's county (county sources), else null")
    day: date = Field(description="The local day it was received")
    status: str = Field(description="received | adopted | not_adopted")
    reason: str | None = Field(default=None, description="The committee's note on its decision")


def _bulletin(status: str, reason: str | None = None) -> dict[str, Any]:
    return {
        "bulletin_id": "c4d8e2a6-5b9f-4c1d-8e3a-7f2b6d0a9c45",
        "title": "崆峒区成果展厅完成布展",
        "source": "county:kongtong",
        "county": "kongtong",
        "day": "2020-08-01",
        "status": status,
        "reason": reason,
    }


class BulletinSubmitted(Event):
    """An information bulletin (信息报送) reached the committee."""

    TYPE: ClassVar[str] = "expo.publicity.bulletin.submitted"
    EXAMPLE: ClassVar[dict[str, Any]] = {"actor": "kongtong-zhang", "data": _bulletin("received")}
    data: BulletinData


class BulletinAdopted(Event):
    """The committee adopted (采用) a bulletin."""

    TYPE: ClassVar[str] = "expo.publicity.bulletin.adopted"
    EXAMPLE: ClassVar[dict[str, Any]] = {"actor": "committee-wang", "data": _bulletin("adopted")}
    data: BulletinData


class BulletinNotAdopted(Event):
    """The committee decided not to adopt a bulletin (`data.reason` may say why)."""

    TYPE: ClassVar[str] = "expo.publicity.bulletin.not_adopted"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "actor": "committee-wang",
        "data": _bulletin("not_adopted", reason="与当日简报内容重复"),
    }
    data: BulletinData


PUBLICITY_EVENTS: tuple[type[Event], ...] = (
    ItemDrafted,
    ItemUpdated,
    ItemSubmitted,
    ItemApproved,
    ItemRejected,
    ItemScheduled,
    ItemPublished,
    ItemCorrected,
    ItemWithdrawn,
    BulletinSubmitted,
    BulletinAdopted,
    BulletinNotAdopted,
)
