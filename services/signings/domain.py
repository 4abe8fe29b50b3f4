"""Signing rules, with no I/O: the pipeline, who may move it, money shown in 万元."""

from datetime import datetime
from enum import StrEnum

from shared.auth import Principal
from shared.edition import Edition
from shared.problems import Forbidden, RuleViolated


class Rule(StrEnum):
    """The business rules a 409 of this service names (`rule`), declared in its OpenAPI."""

    # the move is not allowed from the project's stage; `allowed` lists those that are
    TRANSITION = "transition"
    REASON_REQUIRED = "reason_required"  # agreed → negotiating needs a reason
    NOT_AGREED = "not_agreed"  # only agreed (or scheduled) projects go into a slot
    SLOT_HELD = "slot_held"  # a held slot takes no projects and keeps its place
    ALREADY_IN_SLOT = "already_in_slot"
    SLOT_TIME_TAKEN = "slot_time_taken"  # two slots never start at the same time


class PartnerKind(StrEnum):
    ENTERPRISE = "enterprise"  # 企业
    COLLEGE = "college"  # 院校
    RESEARCH_INSTITUTE = "research_institute"  # 科研院所
    OTHER = "other"


class ProjectKind(StrEnum):
    TECHNOLOGY_TRANSFER = "technology_transfer"  # 成果转化
    COOPERATION = "cooperation"  # 产学研合作
    INVESTMENT = "investment"  # 招商投资
    PLATFORM = "platform"  # 平台共建


class Stage(StrEnum):
    PROPOSED = "proposed"
    NEGOTIATING = "negotiating"
    AGREED = "agreed"
    SCHEDULED = "scheduled"  # in a slot of the ceremony's running order
    SIGNED = "signed"
    CANCELLED = "cancelled"


class MoveTarget(StrEnum):
    """The stages a person moves a project to (POST /projects/{id}/stage): MANUAL_MOVES'
    targets. Scheduling and signing happen through the running order, cancelling through
    its own request, and nothing moves back to proposed."""

    NEGOTIATING = "negotiating"
    AGREED = "agreed"


class SlotStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"  # it took place: its projects are signed


OPEN_STAGES = frozenset({Stage.PROPOSED, Stage.NEGOTIATING, Stage.AGREED, Stage.SCHEDULED})
# Moves a person asks for directly; scheduling and signing happen through the running order.
MANUAL_MOVES: dict[tuple[Stage, Stage], bool] = {  # (from, to) -> reason required
    (Stage.PROPOSED, Stage.NEGOTIATING): False,
    (Stage.NEGOTIATING, Stage.AGREED): False,
    (Stage.AGREED, Stage.NEGOTIATING): True,  # the only move backwards
}


def manual_moves_from(current: Stage) -> list[str]:
    """The stages POST /projects/{id}/stage takes a project in `current` to."""
    return sorted(to.value for (start, to) in MANUAL_MOVES if start is current)


def check_manual_move(current: Stage, wanted: Stage, reason: str | None) -> None:
    if (current, wanted) not in MANUAL_MOVES:
        allowed = manual_moves_from(current)
        raise RuleViolated(
            f"a project cannot move from {current.value} to {wanted.value}; "
            f"allowed: {', '.join(allowed) or 'none'}",
            field="stage",
            rule=Rule.TRANSITION,
            allowed=allowed,
        )
    if MANUAL_MOVES[(current, wanted)] and not reason:
        raise RuleViolated(
            f"moving back from {current.value} to {wanted.value} needs a reason",
            field="reason",
            rule=Rule.REASON_REQUIRED,
        )


def check_cancellable(current: Stage) -> None:
    if current not in OPEN_STAGES:
        raise RuleViolated(
            f"a {current.value} project cannot be cancelled; allowed: none",
            field="stage",
            rule=Rule.TRANSITION,
            allowed=[],
        )


def check_schedulable(current: Stage) -> None:
    if current not in (Stage.AGREED, Stage.SCHEDULED):
        raise RuleViolated(
            f"only agreed projects can be scheduled; this one is {current.value}",
            field="project_id",
            rule=Rule.NOT_AGREED,
        )


def is_manager(principal: Principal, edition: Edition) -> bool:
    """The signing working group and the committee manage every project and the running order."""
    return principal.is_committee or principal.group == edition.responsibilities.signings


def check_may_manage(principal: Principal, edition: Edition, county: str) -> None:
    if not (is_manager(principal, edition) or principal.county == county):
        raise Forbidden(f"{principal.role} may not manage projects of county {county!r}")


def check_may_manage_running_order(principal: Principal, edition: Edition) -> None:
    if not is_manager(principal, edition):
        group = edition.responsibilities.signings
        raise Forbidden(f"only group:{group} and the committee manage the running order")


def in_wan(amount_cny: int) -> str:
    """Yuan as people read them at the ceremony: 万元 with two decimals, exact (no floats)."""
    hundreds = (amount_cny + 50) // 100  # round half up to the nearest 100 yuan
    wan, cents = divmod(hundreds, 100)
    return f"{wan}.{cents:02d}"


def days_in_stage(since: datetime, now: datetime) -> int:
    return max(0, (now - since).days)
