"""Publicity rules, with no I/O: the editorial workflow, who may do what, retry timing."""

from datetime import timedelta
from enum import StrEnum

from shared.auth import Principal
from shared.edition import Edition
from shared.problems import Forbidden, RuleViolated


class Rule(StrEnum):
    """The business rules a 409 of this service names (`rule`), declared in its OpenAPI."""

    TRANSITION = "transition"
    PUBLISHED_IMMUTABLE = "published_immutable"  # a published item changes only by a correction
    ALREADY_DECIDED = "already_decided"
    EMBARGO_IN_PAST = "embargo_in_past"
    NOT_PUBLISHING = "not_publishing"  # the item is not (yet) out on that channel
    NOT_MANUAL_PENDING = "not_manual_pending"  # a push channel, or already recorded
    # A change that would leave the item with neither body nor link (given what it holds).
    NO_CONTENT = "no_content"
    NOTHING_TO_CORRECT = "nothing_to_correct"  # the correction equals what was published


class ItemKind(StrEnum):
    NEWS = "news"  # 新闻稿
    PRESS_RELEASE = "press_release"  # 通稿
    VIDEO = "video"
    POSTER = "poster"  # 海报
    SOCIAL_POST = "social_post"  # 新媒体推文


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"  # approved, held back until its embargo passes
    PUBLISHED = "published"  # released to its channels (each channel reports on its own)
    WITHDRAWN = "withdrawn"


class DeliveryMode(StrEnum):
    PUSH = "push"  # a signed webhook to the channel's system
    MANUAL = "manual"  # a person records where it appeared


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    RETRYING = "retrying"  # a push that failed, tried again with backoff
    PUBLISHED = "published"
    CANCELLED = "cancelled"  # withdrawn, or overtaken by a correction


class BulletinStatus(StrEnum):
    RECEIVED = "received"
    ADOPTED = "adopted"  # 采用
    NOT_ADOPTED = "not_adopted"


class AdoptionPeriod(StrEnum):
    """How bulletins are counted: per local day, ISO week, month, or all together."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


class Action(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    SCHEDULE = "schedule"
    PUBLISH = "publish"
    CORRECT = "correct"
    WITHDRAW = "withdraw"


TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.DRAFT, Action.EDIT): Status.DRAFT,
    (Status.DRAFT, Action.SUBMIT): Status.SUBMITTED,
    (Status.REJECTED, Action.EDIT): Status.REJECTED,
    (Status.REJECTED, Action.SUBMIT): Status.SUBMITTED,
    (Status.SUBMITTED, Action.APPROVE): Status.APPROVED,
    (Status.SUBMITTED, Action.REJECT): Status.REJECTED,
    (Status.APPROVED, Action.SCHEDULE): Status.SCHEDULED,
    (Status.APPROVED, Action.PUBLISH): Status.PUBLISHED,
    (Status.SCHEDULED, Action.SCHEDULE): Status.SCHEDULED,  # a new embargo time
    (Status.SCHEDULED, Action.PUBLISH): Status.PUBLISHED,  # the embargo passed
    (Status.PUBLISHED, Action.CORRECT): Status.PUBLISHED,  # a new version, the old one kept
    **{(s, Action.WITHDRAW): Status.WITHDRAWN for s in Status if s is not Status.WITHDRAWN},
}
REVIEW_ACTIONS = frozenset({Action.APPROVE, Action.REJECT})
# Scheduling, publishing and corrections of approved items are the editors' (reviewers').
EDITOR_ACTIONS = frozenset({Action.SCHEDULE, Action.PUBLISH, Action.CORRECT})


def allowed_actions(current: Status) -> list[Action]:
    """The moves the workflow allows from `current`, in the order of the workflow."""
    return [action for action in Action if (current, action) in TRANSITIONS]


def next_status(current: Status, action: Action) -> Status:
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        immutable = current is Status.PUBLISHED and action is Action.EDIT
        allowed = allowed_actions(current)
        hint = "; publish a correction instead" if immutable else ""
        moves = ", ".join(allowed) or "none"
        raise RuleViolated(
            f"cannot {action.value} an item that is {current.value}{hint} "
            f"(allowed from {current.value}: {moves})",
            field="status",
            rule=Rule.PUBLISHED_IMMUTABLE if immutable else Rule.TRANSITION,
            allowed=allowed,
        ) from None


def is_editor(principal: Principal, edition: Edition) -> bool:
    """The publicity working group and the committee review and publish."""
    return principal.is_committee or principal.group == edition.responsibilities.publicity


def author_of(principal: Principal, edition: Edition) -> tuple[str, str | None]:
    """(source, county) of what a principal writes: its county or its working group, one
    of this edition's (a token may name any county or group)."""
    if principal.county in edition.county_codes:
        return f"county:{principal.county}", principal.county
    if principal.group in edition.group_codes:
        return f"group:{principal.group}", None
    raise Forbidden(f"{principal.role} does not write publicity or bulletins in this edition")


def check_may_act(principal: Principal, edition: Edition, action: Action, source: str) -> None:
    if is_editor(principal, edition):
        return
    if action in REVIEW_ACTIONS or action in EDITOR_ACTIONS:
        raise Forbidden(
            f"only group:{edition.responsibilities.publicity} and the committee may {action.value}"
        )
    if principal.role != source:
        raise Forbidden(f"{principal.role} may not change items of {source}")


def check_may_read(principal: Principal, edition: Edition, source: str) -> None:
    if not (is_editor(principal, edition) or principal.role == source):
        raise Forbidden(f"{principal.role} may not read items of {source}")


def retry_delay(attempts: int) -> timedelta:
    """Backoff for a failing push channel: 2, 4, 8... seconds, at most 5 minutes."""
    return timedelta(seconds=min(300, 2**attempts))
