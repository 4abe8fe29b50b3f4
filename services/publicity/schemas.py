"""What the publicity HTTP API accepts and answers."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import (
    AnyHttpUrl,
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    model_validator,
)

from services.publicity.domain import ItemKind, Status
from shared.schemas import Reason, Strict

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20000)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]


class ItemIn(Strict):
    title: Title
    kind: ItemKind
    author_unit: Title
    body: Body = ""
    link: AnyHttpUrl | None = None
    activity: Code = Field(description="A key activity of the edition, e.g. launch_ceremony")
    channels: list[Code] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _has_content(self) -> "ItemIn":
        if not self.body and self.link is None:
            raise ValueError("body: an item has a body or a link")
        return self


class ItemPatch(Strict):
    title: Title | None = None
    kind: ItemKind | None = None
    author_unit: Title | None = None
    body: Body | None = None
    link: AnyHttpUrl | None = None
    activity: Code | None = None
    channels: list[Code] | None = Field(default=None, min_length=1, max_length=20)


class CorrectionIn(Strict):
    title: Title | None = None
    body: Body | None = None
    link: AnyHttpUrl | None = None
    note: Reason = Field(description="What the correction changes")


class ScheduleIn(Strict):
    embargo_until: AwareDatetime = Field(description="Not published before this time")


class PublicationIn(Strict):
    reference: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
    ] = Field(description="Where it appeared: a URL, or page/programme and time")


class DeliveryOut(BaseModel):
    id: uuid.UUID
    version: int
    channel: str
    mode: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    reference: str | None
    published_at: datetime | None


class ItemOut(BaseModel):
    id: uuid.UUID
    source: str
    county: str | None
    author_unit: str
    title: str
    kind: ItemKind
    body: str
    link: str | None
    activity: str
    channels: list[str]
    status: Status
    version: int
    embargo_until: datetime | None
    reason: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    deliveries: list[DeliveryOut] = []


class VersionOut(BaseModel):
    version: int
    title: str
    body: str
    link: str | None
    note: str | None
    created_at: datetime
    created_by: str


class CoverageRow(BaseModel):
    activity: str
    name: str
    day: date | None
    planned: int
    published: int
    gap: bool = Field(description="Nothing published yet for this activity")


class BulletinIn(Strict):
    title: Title
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class DecisionIn(Strict):
    adopted: bool
    reason: Reason | None = None


class BulletinOut(BaseModel):
    id: uuid.UUID
    source: str
    county: str | None
    title: str
    body: str
    day: date
    status: str
    reason: str | None
    decided_at: datetime | None
    decided_by: str | None
    created_at: datetime
    created_by: str


class AdoptionCount(BaseModel):
    source: str
    period: str
    received: int
    adopted: int
