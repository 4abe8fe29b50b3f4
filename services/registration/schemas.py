"""What the registration HTTP API accepts and answers."""

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, StrictBool, StrictFloat, StringConstraints

from services.registration.domain import (
    INVISIBLE_CLASS,
    PHONE_PATTERN,
    Maturity,
    Status,
    UnitKind,
    folded,
    invisible_in,
)
from services.registration.domain import Field as AchievementField
from shared.schemas import (
    _BLANK_CLASS,
    BLANKS,
    Instant,
    Patch,
    Reason,
    Strict,
    matching,
    text,
)

# A name someone else reads as the same name is the same name: no NUL, no invisible or
# bidirectional control character (Cf), something besides blanks.
NAME_PATTERN = (
    rf"^[^\u0000{INVISIBLE_CLASS}]*[^{_BLANK_CLASS}\u0000{INVISIBLE_CLASS}]"
    rf"[^\u0000{INVISIBLE_CLASS}]*$"
)


def _fold(value: Any) -> Any:
    return folded(value) if isinstance(value, str) else value


def _trim(value: Any) -> Any:
    return value.strip(BLANKS) if isinstance(value, str) else value


def _visible(value: Any) -> Any:
    if isinstance(value, str) and (found := invisible_in(value)):
        raise ValueError(
            "must not hold invisible or bidirectional control characters (zero-width, "
            f"direction marks or overrides): found {', '.join(dict.fromkeys(found))}"
        )
    return value


def name_text(max_length: int) -> Any:
    """A name or title: NFKC-normalised (fullwidth letters become ASCII), trimmed, refused if
    it holds an invisible or bidirectional control character; the limit counts the
    normalised text."""
    return Annotated[
        str,
        StringConstraints(min_length=1, max_length=max_length, pattern=NAME_PATTERN),
        # Listed last, it runs first: fold, then trim, then refuse invisible characters.
        BeforeValidator(_visible),
        BeforeValidator(_trim),
        BeforeValidator(_fold),
    ]


Name = name_text(200)
Person = text(50)
Phone = matching(PHONE_PATTERN.pattern)
Summary = text(4000, min_length=0)  # may be left empty
Patent = text(64)
Area = Annotated[StrictFloat, Field(ge=0, le=2000, description="Floor area needed, in m²")]
Power = Annotated[StrictFloat, Field(ge=0, le=500, description="Electric power needed, in kW")]


class UnitIn(Strict):
    county: str = Field(max_length=32, description="County code from the edition, e.g. kongtong")
    name: Name
    kind: UnitKind
    contact_person: Person
    contact_phone: Phone = Field(
        description="Mainland mobile (13800138000) or landline (0933-8212345)"
    )


class UnitPatch(Patch):
    """Fields to change; the county of a unit never changes."""

    name: Name | None = None
    kind: UnitKind | None = None
    contact_person: Person | None = None
    contact_phone: Phone | None = None


class UnitOut(BaseModel):
    id: uuid.UUID
    county: str
    name: str
    kind: UnitKind
    contact_person: str
    contact_phone: str
    created_at: Instant
    created_by: str
    updated_at: Instant
    updated_by: str


class AchievementFields(Strict):
    title: Name
    field: AchievementField
    summary: Summary = ""
    maturity: Maturity
    patents: list[Patent] = Field(default_factory=list, max_length=50)
    floor_area_m2: Area
    power_kw: Power = 0
    live_demo: StrictBool = False


class AchievementIn(AchievementFields):
    unit_id: uuid.UUID = Field(description="The unit that owns it; its county is the achievement's")


class AchievementPatch(Patch):
    title: Name | None = None
    field: AchievementField | None = None
    summary: Summary | None = None
    maturity: Maturity | None = None
    patents: list[Patent] | None = Field(default=None, max_length=50)
    floor_area_m2: Area | None = None
    power_kw: Power | None = None
    live_demo: StrictBool | None = None


class OptionalReasonIn(Strict):
    reason: Reason | None = None


class AchievementOut(BaseModel):
    id: uuid.UUID
    unit_id: uuid.UUID
    county: str
    title: str
    field: AchievementField
    summary: str
    maturity: Maturity
    patents: list[str]
    floor_area_m2: float
    power_kw: float
    live_demo: bool
    status: Status
    version: int
    reason: str | None
    created_at: Instant
    created_by: str
    updated_at: Instant
    updated_by: str


class HistoryEntry(BaseModel):
    version: int
    action: str
    from_status: Status | None
    to_status: Status
    actor: str
    at: Instant
    reason: str | None
    changes: dict[str, list] | None
