"""What the publicity HTTP API accepts and answers."""

import uuid
from datetime import date
from typing import Annotated

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    UrlConstraints,
    model_validator,
)

from services.publicity.domain import (
    BulletinStatus,
    DeliveryMode,
    DeliveryStatus,
    ItemKind,
    Status,
)
from shared.schemas import TEXT_PATTERN, Instant, InstantIn, Patch, Reason, Strict, text

URL_MAX = 500  # the columns that keep a URL (an item's link, where it appeared)

Title = text(200)
Body = text(20000, min_length=0)  # an item may be a link alone (a video, a poster)
Code = Annotated[str, Field(max_length=32)]  # checked against the edition's codes
Url = Annotated[
    AnyHttpUrl,
    UrlConstraints(max_length=URL_MAX),  # as normalised (IDN hosts, percent-encoded paths)
    AfterValidator(str),
    PlainSerializer(str, return_type=str),
]
"""An absolute http(s) URL (format uri), at most 500 characters once normalised."""


class ItemIn(Strict):
    # The schema's anyOf is _has_content's rule (and check_content's): they must agree.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["link"], "properties": {"link": {"type": "string"}}},
                {"required": ["body"], "properties": {"body": {"pattern": TEXT_PATTERN}}},
            ]
        }
    )

    title: Title
    kind: ItemKind
    author_unit: Title = Field(description="Name of the unit that wrote it")
    body: Body = Field(default="", description="Its text; may be left out when it has a link")
    link: Url | None = Field(default=None, description="Where the item can be seen (http/https)")
    activity: Code = Field(description="A key activity of the edition, e.g. launch_ceremony")
    channels: list[Code] = Field(
        min_length=1,
        max_length=20,
        description="The edition's channels it goes to, each once",
        json_schema_extra={"uniqueItems": True},
    )

    @model_validator(mode="after")
    def _has_content(self) -> "ItemIn":
        if not self.body and self.link is None:
            raise ValueError("body: an item has a body or a link")
        return self


class ItemPatch(Patch):
    title: Title | None = None
    kind: ItemKind | None = None
    author_unit: Title | None = None
    body: Body | None = None
    link: Url | None = None
    activity: Code | None = None
    channels: list[Code] | None = Field(
        default=None, min_length=1, max_length=20, json_schema_extra={"uniqueItems": True}
    )


class CorrectionIn(Patch):
    title: Title | None = None
    body: Body | None = None
    link: Url | None = None
    note: Reason = Field(description="What the correction changes")


class ScheduleIn(Strict):
    embargo_until: InstantIn = Field(description="Not published before this time")


class PublicationIn(Strict):
    # The schema's anyOf is _says_where's rule: the two must agree.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["reference"], "properties": {"reference": {"type": "string"}}},
                {"required": ["url"], "properties": {"url": {"type": "string"}}},
            ]
        }
    )

    reference: text(500) | None = Field(
        default=None, description="Where it appeared in print or on air: page, programme, time"
    )
    url: Url | None = Field(default=None, description="Where it can be read online (http/https)")

    @model_validator(mode="after")
    def _says_where(self) -> "PublicationIn":
        if self.reference is None and self.url is None:
            raise ValueError("reference: say where it appeared (a reference, a url or both)")
        return self


class DeliveryOut(BaseModel):
    id: uuid.UUID
    version: int
    channel: str
    mode: DeliveryMode
    status: DeliveryStatus
    attempts: int
    next_attempt_at: Instant | None
    last_error: str | None
    reference: str | None = Field(description="Where it appeared: the URL or the reference")
    url: str | None = Field(default=None, description="Where it can be read online, when known")
    published_at: Instant | None


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
    embargo_until: Instant | None
    reason: str | None
    created_at: Instant
    created_by: str
    updated_at: Instant
    updated_by: str
    deliveries: list[DeliveryOut] = []


class VersionOut(BaseModel):
    version: int
    title: str
    body: str
    link: str | None
    note: str | None
    created_at: Instant
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
    body: text(5000)


class DecisionIn(Strict):
    adopted: StrictBool
    reason: Reason | None = None


class BulletinOut(BaseModel):
    id: uuid.UUID
    source: str
    county: str | None
    title: str
    body: str
    day: date = Field(description="The edition's local day it was received")
    status: BulletinStatus
    reason: str | None
    decided_at: Instant | None
    decided_by: str | None
    created_at: Instant
    created_by: str


class AdoptionCount(BaseModel):
    source: str
    period: str = Field(description="2020-08-01 (day), 2020-W31 (week), 2020-08 (month) or all")
    received: int
    adopted: int
