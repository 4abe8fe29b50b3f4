"""What the exhibitions HTTP API accepts and answers."""

import uuid
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    field_validator,
    model_validator,
)

from services.exhibitions.domain import (
    ExhibitStatus,
    HallKind,
    ReleaseStatus,
    Stage,
    StageMove,
)
from shared.schemas import Instant, InstantIn, Reason, Strict, Text100, Text200, matching

Code = matching(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


class HallIn(Strict):
    # The schema's if/then/else is _county_matches_kind's rule: the two must agree.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"kind": {"const": HallKind.COUNTY.value}}, "required": ["kind"]},
            "then": {"required": ["county"], "properties": {"county": {"type": "string"}}},
            "else": {"properties": {"county": {"type": "null"}}},
        }
    )

    code: Code
    name: Text200
    kind: HallKind
    county: str | None = Field(
        default=None,
        max_length=32,
        description="Required for a county hall; a themed hall has none (null or absent)",
    )

    @model_validator(mode="after")
    def _county_matches_kind(self) -> "HallIn":
        if self.kind is HallKind.COUNTY and not self.county:
            raise ValueError("county: a county hall needs its county")
        if self.kind is HallKind.THEMED and self.county:
            raise ValueError("county: a themed hall belongs to no county")
        return self


class HallOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    kind: HallKind
    county: str | None
    stage: Stage
    inspection_failed: bool
    booths: int
    booths_assigned: int
    created_at: Instant
    created_by: str
    updated_at: Instant
    updated_by: str


class StageIn(Strict):
    stage: StageMove = Field(
        description="The hall's next stage. safety_inspected is reached only by a passing "
        "inspection (POST /halls/{id}/inspections), never asked for here"
    )

    @field_validator("stage", mode="before")
    @classmethod
    def _inspected_by_inspection(cls, value):
        if value == Stage.SAFETY_INSPECTED.value:
            raise ValueError(
                "safety_inspected is reached by recording a passing inspection "
                "(POST /halls/{id}/inspections)"
            )
        return value


class InspectionIn(Strict):
    # The schema's if/then is _failures_say_why's rule: the two must agree.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"passed": {"const": False}}, "required": ["passed"]},
            "then": {"required": ["problems"], "properties": {"problems": {"minItems": 1}}},
        }
    )

    passed: StrictBool
    problems: list[Reason] = Field(
        default_factory=list, max_length=100, description="At least one when it failed"
    )

    @model_validator(mode="after")
    def _failures_say_why(self) -> "InspectionIn":
        if not self.passed and not self.problems:
            raise ValueError("problems: a failed inspection lists its problems")
        return self


class HallLogEntry(BaseModel):
    action: Literal["create", "stage", "inspection"]
    from_stage: Stage | None
    to_stage: Stage
    passed: bool | None
    problems: list[str] | None
    actor: str
    at: Instant


class BoothIn(Strict):
    code: Code
    area_m2: StrictFloat = Field(gt=0, le=2000)
    power_kw: StrictFloat = Field(default=0, ge=0, le=500)


class BoothsIn(Strict):
    booths: list[BoothIn] = Field(min_length=1, max_length=1000)


class BoothOut(BaseModel):
    id: uuid.UUID
    hall_id: uuid.UUID
    code: str
    area_m2: float
    power_kw: float
    achievement_id: uuid.UUID | None
    assigned_at: Instant | None
    assigned_by: str | None
    override_note: str | None


class AssignmentIn(Strict):
    # The schema's if/then is _override_says_why's rule: the two must agree.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"override": {"const": True}}, "required": ["override"]},
            "then": {"required": ["note"], "properties": {"note": {"type": "string"}}},
        }
    )

    achievement_id: uuid.UUID
    override: StrictBool = Field(
        default=False, description="Committee only: place it in another county's hall"
    )
    note: Reason | None = Field(default=None, description="Why the override (required with it)")

    @model_validator(mode="after")
    def _override_says_why(self) -> "AssignmentIn":
        if self.override and not self.note:
            raise ValueError("note: an override records why")
        return self


class PlanIn(Strict):
    hall_id: uuid.UUID | None = Field(
        default=None, description="One hall, or every hall when absent"
    )


class Placement(BaseModel):
    achievement_id: uuid.UUID
    title: str
    booth_id: uuid.UUID
    booth_code: str
    hall_id: uuid.UUID


class Unplaced(BaseModel):
    achievement_id: uuid.UUID
    title: str
    reason: str


class PlanOut(BaseModel):
    id: uuid.UUID
    hall_id: uuid.UUID | None
    placements: list[Placement]
    unplaced: list[Unplaced]
    created_at: Instant
    created_by: str
    confirmed_at: Instant | None
    confirmed_by: str | None


class ExhibitOut(BaseModel):
    achievement_id: uuid.UUID
    version: int
    county: str
    unit_id: uuid.UUID
    title: str
    status: ExhibitStatus
    floor_area_m2: float
    power_kw: float
    live_demo: bool
    booth_id: uuid.UUID | None


class ReleaseIn(Strict):
    title: Text200
    venue: Text100
    starts_at: InstantIn
    ends_at: InstantIn
    presenting_unit_id: uuid.UUID
    achievement_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _sane(self) -> "ReleaseIn":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at: must be after starts_at")
        if len(set(self.achievement_ids)) != len(self.achievement_ids):
            raise ValueError("achievement_ids: each achievement once")
        return self


class ReleaseOut(BaseModel):
    id: uuid.UUID
    title: str
    venue: str
    starts_at: Instant
    ends_at: Instant
    county: str
    presenting_unit_id: uuid.UUID
    achievement_ids: list[uuid.UUID]
    status: ReleaseStatus
    reason: str | None
    created_at: Instant
    created_by: str
    updated_at: Instant
    updated_by: str
