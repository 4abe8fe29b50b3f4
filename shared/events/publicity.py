"""Events published by the publicity service (宣传报道 / 信息报送)."""

import uuid
from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import Event


class ItemData(BaseModel):
    model_config = ConfigDict(frozen=True)
    item_id: uuid.UUID
    version: int = Field(description="Content version: grows with each correction")
    title: str
    kind: str
    county: str | None
    author_unit: str
    activity: str
    channels: tuple[str, ...]
    status: str
    embargo_until: datetime | None = None
    reason: str | None = None


class ItemDrafted(Event):
    """A county or group wrote a publicity item (宣传稿件) as a draft."""

    TYPE: ClassVar[str] = "expo.publicity.item.drafted"
    data: ItemData


class ItemUpdated(Event):
    """A draft or rejected item was edited."""

    TYPE: ClassVar[str] = "expo.publicity.item.updated"
    data: ItemData


class ItemSubmitted(Event):
    """A publicity item was submitted for editorial review."""

    TYPE: ClassVar[str] = "expo.publicity.item.submitted"
    data: ItemData


class ItemApproved(Event):
    TYPE: ClassVar[str] = "expo.publicity.item.approved"
    data: ItemData


class ItemRejected(Event):
    """Reviewers rejected an item; `data.reason` says why."""

    TYPE: ClassVar[str] = "expo.publicity.item.rejected"
    data: ItemData


class ItemScheduled(Event):
    """An approved item waits for its embargo (`data.embargo_until`) and then publishes itself."""

    TYPE: ClassVar[str] = "expo.publicity.item.scheduled"
    data: ItemData


class PublishedData(ItemData):
    channel: str
    reference: str = Field(description="Where it appeared: a URL or the channel's reference")
    published_at: datetime


class ItemPublished(Event):
    """The item (this version) appeared on one channel."""

    TYPE: ClassVar[str] = "expo.publicity.item.published"
    data: PublishedData


class ItemCorrected(Event):
    """A published item got a corrected version; the old one is kept."""

    TYPE: ClassVar[str] = "expo.publicity.item.corrected"
    data: ItemData


class ItemWithdrawn(Event):
    TYPE: ClassVar[str] = "expo.publicity.item.withdrawn"
    data: ItemData


class BulletinData(BaseModel):
    model_config = ConfigDict(frozen=True)
    bulletin_id: uuid.UUID
    title: str
    source: str = Field(description="county:<code> or group:<code>")
    county: str | None
    day: date = Field(description="The local day it was received")
    status: str
    reason: str | None = None


class BulletinSubmitted(Event):
    """An information bulletin (信息报送) reached the committee."""

    TYPE: ClassVar[str] = "expo.publicity.bulletin.submitted"
    data: BulletinData


class BulletinAdopted(Event):
    """The committee adopted (采用) a bulletin."""

    TYPE: ClassVar[str] = "expo.publicity.bulletin.adopted"
    data: BulletinData


class BulletinNotAdopted(Event):
    TYPE: ClassVar[str] = "expo.publicity.bulletin.not_adopted"
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
