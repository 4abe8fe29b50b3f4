"""What the signings HTTP API accepts and answers."""

import uuid
from enum import StrEnum

from pydantic import BaseModel, Field

from services.signings.domain import MoveTarget, PartnerKind, ProjectKind, SlotStatus, Stage
from shared.schemas import Instant, InstantIn, Reason, Strict, Text100, Text200, whole_number

# Whole yuan: a JSON integer above zero (1.5, "100" and 0 are refused; 100.0 is 100), at most 10^12.
Amount = whole_number(gt=0, le=10**12, description="Amount in whole yuan (CNY)")


class ProjectIn(Strict):
    title: Text200
    county: str = Field(max_length=32)
    local_party: Text200 = Field(description="The local side that signs (本地签约方)")
    partner_name: Text200
    partner_kind: PartnerKind
    kind: ProjectKind
    sector: Text100
    amount_cny: Amount
    achievement_id: uuid.UUID | None = Field(
        default=None, description="An achievement registered in registration"
    )


class StageIn(Strict):
    stage: MoveTarget = Field(
        description="negotiating or agreed. A project is scheduled by adding it to a slot of "
        "the running order, signed when its slot is held, and cancelled by its cancel request"
    )
    reason: Reason | None = Field(default=None, description="Required to move agreed → negotiating")


class ProjectOut(BaseModel):
    id: uuid.UUID
    title: str
    county: str
    local_party: str
    partner_name: str
    partner_kind: PartnerKind
    kind: ProjectKind
    sector: str
    amount_cny: int
    amount_wan: str = Field(description="The amount in 万元, two decimals")
    achievement_id: uuid.UUID | None
    stage: Stage
    stage_since: Instant
    days_in_stage: int
    slot_id: uuid.UUID | None
    reason: str | None
    version: int
    created_at: Instant
    created_by: str
    updated_at: Instant
    updated_by: str


class StageLogEntry(BaseModel):
    from_stage: Stage | None
    to_stage: Stage
    reason: str | None
    slot_id: uuid.UUID | None
    actor: str
    at: Instant


class SlotIn(Strict):
    title: Text200
    starts_at: InstantIn


class SlotProjectIn(Strict):
    project_id: uuid.UUID


class ReorderIn(Strict):
    slot_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=500, description="Every slot, in the new order"
    )


class SlotOut(BaseModel):
    id: uuid.UUID
    position: int
    title: str
    starts_at: Instant
    status: SlotStatus
    projects: list[ProjectOut] = Field(description="In the order they are signed")


class TotalsBy(StrEnum):
    COUNTY = "county"
    KIND = "kind"
    STAGE = "stage"


class Total(BaseModel):
    key: str
    count: int
    amount_cny: int
    amount_wan: str


class Totals(BaseModel):
    by: TotalsBy
    rows: list[Total]
    count: int
    amount_cny: int
    amount_wan: str
