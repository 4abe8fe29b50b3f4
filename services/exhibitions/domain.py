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
    INSPECTION_STAGE = "inspection_stage"
    TRANSITION = "transition"
    BOOTH_TAKEN = "booth_taken"
    ALREADY_ASSIGNED = "already_assigned"
    # the achievement is known to exhibitions' replica but not approved (an unknown one is a 404)
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


class StageMove(StrEnum):
    """The stages `POST /halls/{id}/stage` can move a hall to. Not planned (where every hall
    starts, never gone back to) and not safety_inspected (only a passing inspection, `POST
    /halls/{id}/inspections`, reaches it)."""

    DESIGNED = "designed"
    BUILT = "built"
    EXHIBITS_IN_PLACE = "exhibits_in_place"
    READY = "ready"


STAGE_MOVES = frozenset(m.value for m in StageMove)


def stage_moves_from(current: Stage) -> list[str]:
    """What `POST /halls/{id}/stage` accepts for a hall at `current`: its next stage, unless
    that is reached otherwise (by an inspection) or there is none."""
    position = STAGES.index(current)
    following = STAGES[position + 1].value if position + 1 < len(STAGES) else None
    return [following] if following in STAGE_MOVES else []


def next_stage(current: Stage, wanted: StageMove) -> Stage:
    """A hall moves one step at a time, forwards only; inspection has its own request."""
    allowed = stage_moves_from(current)
    if wanted.value in allowed:
        return Stage(wanted.value)
    if allowed:
        then = f"its next stage is {allowed[0]}"
    elif current is Stage.EXHIBITS_IN_PLACE:
        then = "it moves on by a passing safety inspection (POST /halls/{id}/inspections)"
    else:
        then = "it is ready, the last stage"
    raise RuleViolated(
        f"a hall at {current.value} cannot move to {wanted.value}: halls move one stage at a "
        f"time, forwards only; {then}",
        field="stage",
        rule=Rule.STAGE_ORDER,
        allowed=allowed,
    )


def check_inspectable(current: Stage) -> None:
    """Only a hall whose exhibits are in place is inspected; a refusal says the stage moves
    allowed instead (POST /halls/{id}/stage)."""
    if current is not Stage.EXHIBITS_IN_PLACE:
        allowed = stage_moves_from(current)
        then = f"its next stage is {allowed[0]}" if allowed else "it needs no inspection now"
        raise RuleViolated(
            f"a hall is inspected when its exhibits are in place; this one is {current.value} "
            f"and {then}",
            field="stage",
            rule=Rule.INSPECTION_STAGE,
            allowed=allowed,
        )


class ReleaseStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class ReleaseAction(StrEnum):
    HOLD = "hold"
    CANCEL = "cancel"


RELEASE_TRANSITIONS = {
    (ReleaseStatus.SCHEDULED, ReleaseAction.HOLD): ReleaseStatus.HELD,
    (ReleaseStatus.SCHEDULED, ReleaseAction.CANCEL): ReleaseStatus.CANCELLED,
}


def release_actions_from(current: ReleaseStatus) -> list[str]:
    return [action.value for (status, action) in RELEASE_TRANSITIONS if status is current]


def next_release_status(current: ReleaseStatus, action: ReleaseAction) -> ReleaseStatus:
    try:
        return RELEASE_TRANSITIONS[(current, action)]
    except KeyError:
        allowed = release_actions_from(current)
        then = f"it can be: {', '.join(allowed)}" if allowed else "nothing more can be done to it"
        raise RuleViolated(
            f"cannot {action.value} a release session that is {current.value}; {then}",
            field="status",
            rule=Rule.TRANSITION,
            allowed=allowed,
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


def check_may_release(
    principal: Principal, edition: Edition, county_of: dict[str, str | None]
) -> None:
    """A county releases only its own county's achievements (`county_of`: achievement id →
    county); the managers release any."""
    if is_manager(principal, edition):
        return
    others = [a for a, county in county_of.items() if county is None or county != principal.county]
    if others:
        raise Forbidden(
            f"{principal.role} may release only its own county's achievements; not its own: "
            + ", ".join(f"{a} ({county_of[a] or 'unknown'})" for a in others),
            field="achievement_ids",
        )


def check_may_list_exhibits(
    principal: Principal, county: str | None, status: "ExhibitStatus | None"
) -> None:
    """A county sees its own county's achievements in any status and another county's once
    approved, as registration shows them: asking for another county's unapproved ones is
    refused, as registration refuses them."""
    if principal.county is None or county is None or county == principal.county:
        return
    if status is not None and status is not ExhibitStatus.APPROVED:
        raise Forbidden(
            f"{principal.role} may see county {county!r}'s achievements only once approved, "
            f"not {status.value} ones",
            field="status",
        )


def check_may_read(principal: Principal, edition: Edition) -> None:
    kind = principal.role.split(":", 1)[0]
    if kind not in edition.access.exhibitions_read:
        raise Forbidden(f"{principal.role} may not read exhibitions in this edition")


class ExhibitStatus(StrEnum):
    """An achievement's status, as registration's latest event about it said."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


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


def assignment_problem(exhibit: Exhibit, booth: BoothSpace) -> tuple[Rule, str] | None:
    """(rule, why) if the achievement cannot go into this booth, else None.

    Booking state (booth taken, achievement placed) is checked by the caller, who knows it.
    """
    if exhibit.status != ExhibitStatus.APPROVED:
        return Rule.NOT_APPROVED, f"achievement is {exhibit.status}, not approved"
    if exhibit.floor_area_m2 > booth.area_m2:
        return Rule.AREA, f"needs {exhibit.floor_area_m2:g} m², booth has {booth.area_m2:g} m²"
    if exhibit.power_kw > booth.power_kw:
        return Rule.POWER, f"needs {exhibit.power_kw:g} kW, booth has {booth.power_kw:g} kW"
    if booth.hall_county is not None and booth.hall_county != exhibit.county:
        return Rule.OTHER_COUNTY, (
            f"a {exhibit.county} achievement in the {booth.hall_county} hall needs the committee's override"
        )
    return None
