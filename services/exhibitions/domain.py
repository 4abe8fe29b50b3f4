"""Exhibition rules, with no I/O: hall stages, who may manage what, what fits where."""

from dataclasses import dataclass
from enum import StrEnum

from shared.auth import Principal
from shared.edition import Edition
from shared.problems import Forbidden, RuleViolated


class Rule(StrEnum):
    """The business rules a 409 of this service names (`rule`), declared in its OpenAPI."""

    ONE_HALL_PER_COUNTY = "one_hall_per_county"
    HALL_CODE_TAKEN = "hall_code_taken"
    BOOTH_CODE_UNIQUE = "booth_code_unique"
    STAGE_ORDER = "stage_order"  # halls move one stage at a time
    # only a passing safety inspection reaches safety_inspected
    INSPECTION_REQUIRED = "inspection_required"
    INSPECTION_STAGE = "inspection_stage"
    TRANSITION = "transition"
    BOOTH_TAKEN = "booth_taken"
    ALREADY_ASSIGNED = "already_assigned"
    # the achievement is not approved (or not known) in exhibitions' replica
    NOT_APPROVED = "not_approved"
    AREA = "area"  # the booth is too small
    POWER = "power"  # the booth has too little power
    OTHER_COUNTY = "other_county"  # the achievement belongs to another county than the hall
    BOOTH_FREE = "booth_free"
    PLAN_APPLIED = "plan_applied"
    STALE_PLAN = "stale_plan"  # the plan was overtaken by other changes; propose it again
    VENUE_OVERLAP = "venue_overlap"


class HallKind(StrEnum):
    COUNTY = "county"  # each county runs one (县区成果展厅)
    THEMED = "themed"  # e.g. a city-level or sector hall


class Stage(StrEnum):
    """Readiness of a hall, in order. Safety inspected is reached only by a passing inspection."""

    PLANNED = "planned"
    DESIGNED = "designed"
    BUILT = "built"
    EXHIBITS_IN_PLACE = "exhibits_in_place"
    SAFETY_INSPECTED = "safety_inspected"  # 安全检查 passed
    READY = "ready"


STAGES = list(Stage)


def next_stage(current: Stage, wanted: Stage) -> Stage:
    """A hall moves one step at a time, forwards only; inspection has its own request."""
    position = STAGES.index(current)
    if position + 1 >= len(STAGES) or STAGES[position + 1] is not wanted:
        expected = STAGES[position + 1].value if position + 1 < len(STAGES) else "none (ready)"
        raise RuleViolated(
            f"a hall at {current.value} cannot move to {wanted.value}; next: {expected}",
            field="stage",
            rule="stage_order",
        )
    if wanted is Stage.SAFETY_INSPECTED:
        raise RuleViolated(
            "safety_inspected is reached by recording a passing inspection "
            "(POST /halls/{id}/inspections)",
            field="stage",
            rule="inspection_required",
        )
    return wanted


def check_inspectable(current: Stage) -> None:
    if current is not Stage.EXHIBITS_IN_PLACE:
        raise RuleViolated(
            f"a hall is inspected when its exhibits are in place; this one is {current.value}",
            field="stage",
            rule="inspection_stage",
        )


class ReleaseStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


RELEASE_TRANSITIONS = {
    (ReleaseStatus.SCHEDULED, "hold"): ReleaseStatus.HELD,
    (ReleaseStatus.SCHEDULED, "cancel"): ReleaseStatus.CANCELLED,
}


def next_release_status(current: ReleaseStatus, action: str) -> ReleaseStatus:
    try:
        return RELEASE_TRANSITIONS[(current, action)]
    except KeyError:
        raise RuleViolated(
            f"cannot {action} a release session that is {current.value}",
            field="status",
            rule="transition",
        ) from None


def is_manager(principal: Principal, edition: Edition) -> bool:
    """The exhibition working group and the committee manage every hall and session."""
    return principal.is_committee or principal.group == edition.responsibilities.exhibitions


def check_may_manage(principal: Principal, edition: Edition, county: str | None) -> None:
    """A county manages its own hall and sessions; themed halls belong to the managers."""
    if is_manager(principal, edition):
        return
    if county is None or principal.county != county:
        whose = f"county {county!r}" if county else "themed halls"
        raise Forbidden(f"{principal.role} may not manage {whose}")


def check_may_read(principal: Principal, edition: Edition) -> None:
    kind = principal.role.split(":", 1)[0]
    if kind not in edition.access.exhibitions_read:
        raise Forbidden(f"{principal.role} may not read exhibitions in this edition")


@dataclass(frozen=True)
class Exhibit:
    """What exhibitions knows of an achievement (its replica of registration's events)."""

    achievement_id: str
    county: str
    title: str
    status: str
    floor_area_m2: float
    power_kw: float


@dataclass(frozen=True)
class BoothSpace:
    booth_id: str
    hall_id: str
    hall_county: str | None  # None for themed halls
    area_m2: float
    power_kw: float


def assignment_problem(exhibit: Exhibit, booth: BoothSpace) -> tuple[str, str] | None:
    """(rule, why) if the achievement cannot go into this booth, else None.

    Booking state (booth taken, achievement placed) is checked by the caller, who knows it.
    """
    if exhibit.status != "approved":
        return "not_approved", f"achievement is {exhibit.status}, not approved"
    if exhibit.floor_area_m2 > booth.area_m2:
        return "area", f"needs {exhibit.floor_area_m2:g} m², booth has {booth.area_m2:g} m²"
    if exhibit.power_kw > booth.power_kw:
        return "power", f"needs {exhibit.power_kw:g} kW, booth has {booth.power_kw:g} kW"
    if booth.hall_county is not None and booth.hall_county != exhibit.county:
        return "other_county", (
            f"a {exhibit.county} achievement in the {booth.hall_county} hall needs the committee's override"
        )
    return None
