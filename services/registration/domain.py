"""Registration rules, with no I/O: unit kinds, achievement states and who may move them."""

import re
import sys
import unicodedata
from enum import StrEnum

from shared.auth import Principal
from shared.edition import Edition
from shared.problems import Forbidden, RuleViolated

# Mainland China: an 11-digit mobile number, or a landline with its area code.
PHONE_PATTERN = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


class Rule(StrEnum):
    """The business rules a 409 of this service names (`rule`), declared in its OpenAPI."""

    # the move is not allowed from the current status; `allowed` lists those that are
    TRANSITION = "transition"
    # registration is frozen; only the committee may change it
    REGISTRATION_FREEZE = "registration_freeze"
    NAME_TAKEN = "name_taken"  # the county already has a unit of that name


class UnitKind(StrEnum):
    """Who takes part (参展单位): departments, colleges, institutes, enterprises."""

    COUNTY_BUREAU = "county_bureau"  # 县(市、区)科技局
    CITY_DEPARTMENT = "city_department"  # 市直部门
    COLLEGE = "college"  # 院校
    RESEARCH_INSTITUTE = "research_institute"  # 科研机构
    ENTERPRISE = "enterprise"  # 企业
    OTHER = "other"


class Maturity(StrEnum):
    """How far an achievement (科技成果) has come, in order."""

    RESEARCH = "research"  # 研究阶段
    PROTOTYPE = "prototype"  # 样机/样品
    PILOT = "pilot"  # 中试
    INDUSTRIALISED = "industrialised"  # 产业化


class Field(StrEnum):
    AGRICULTURE = "agriculture"  # 现代农业
    MANUFACTURING = "manufacturing"  # 先进制造
    MATERIALS = "materials"  # 新材料
    INFORMATION = "information"  # 信息技术
    BIOMEDICINE = "biomedicine"  # 生物医药
    ENERGY_ENVIRONMENT = "energy_environment"  # 能源环保
    CULTURE_TOURISM = "culture_tourism"  # 文化旅游
    OTHER = "other"


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # awaiting review
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    EDIT = "edit"


# The whole review workflow: (state, action) -> next state. Anything else is refused.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.DRAFT, Action.EDIT): Status.DRAFT,
    (Status.DRAFT, Action.SUBMIT): Status.SUBMITTED,
    (Status.DRAFT, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.SUBMITTED, Action.APPROVE): Status.APPROVED,
    (Status.SUBMITTED, Action.REJECT): Status.REJECTED,
    (Status.SUBMITTED, Action.WITHDRAW): Status.WITHDRAWN,
    # A change to an approved achievement sends it back to review (revised).
    (Status.APPROVED, Action.EDIT): Status.SUBMITTED,
    # Rejecting an approved achievement revokes the approval.
    (Status.APPROVED, Action.REJECT): Status.REJECTED,
    (Status.APPROVED, Action.WITHDRAW): Status.WITHDRAWN,
    # A rejected achievement can be corrected and submitted again.
    (Status.REJECTED, Action.EDIT): Status.REJECTED,
    (Status.REJECTED, Action.SUBMIT): Status.SUBMITTED,
}

REVIEW_ACTIONS = frozenset({Action.APPROVE, Action.REJECT})
REASON_REQUIRED = frozenset({Action.REJECT})


def next_status(current: Status, action: Action) -> Status:
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        allowed = allowed_actions(current)
        raise RuleViolated(
            f"cannot {action.value} an achievement that is {current.value}; "
            f"allowed: {', '.join(allowed) or 'none'}",
            field="status",
            rule=Rule.TRANSITION,
            allowed=allowed,
        ) from None


def allowed_actions(current: Status) -> list[str]:
    """The actions the workflow takes from `current`, by name."""
    return sorted(a.value for (s, a) in TRANSITIONS if s == current)


def is_reviewer(principal: Principal, edition: Edition) -> bool:
    return principal.is_committee or principal.group == edition.responsibilities.achievement_review


def may_read_all(principal: Principal, edition: Edition) -> bool:
    return is_reviewer(principal, edition)


def check_may_read(principal: Principal, edition: Edition, county: str) -> None:
    if principal.county == county or may_read_all(principal, edition):
        return
    raise Forbidden(f"{principal.role} may not read registrations of county {county!r}")


def check_may_change(principal: Principal, edition: Edition, county: str, frozen: bool) -> None:
    """Counties change their own registrations until the freeze; the committee always."""
    if principal.is_committee:
        return
    if principal.county != county:
        raise Forbidden(f"{principal.role} may not change registrations of county {county!r}")
    if frozen:
        raise RuleViolated(
            f"registration is frozen since {edition.dates.registration_freeze}; "
            "only the committee can change it now",
            rule=Rule.REGISTRATION_FREEZE,
        )


def check_may_act(
    principal: Principal, edition: Edition, action: Action, county: str, frozen: bool
) -> None:
    if action in REVIEW_ACTIONS:
        if not is_reviewer(principal, edition):
            group = edition.responsibilities.achievement_review
            raise Forbidden(f"only group:{group} or the committee may {action.value}")
        return
    check_may_change(principal, edition, county, frozen)


# Invisible and bidirectional control characters (Unicode category Cf: zero-width spaces and
# joiners, left-to-right and right-to-left marks, embeddings, overrides and isolates, the byte
# order mark, ...): in a name they make two names that look the same compare different, or
# show a name other than the one stored.
INVISIBLE = frozenset(
    chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"
)


def _ranges(chars: frozenset[str]) -> list[tuple[str, str]]:
    codes = sorted(ord(c) for c in chars)
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return [(chr(a), chr(b)) for a, b in ranges]


def _escaped(char: str) -> str:
    # \uXXXX reads the same in JSON Schema (ECMA-262), Python and Rust regular expressions;
    # characters beyond the BMP are written as themselves.
    return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else char


# The invisible characters as the inside of a regular expression's character class.
INVISIBLE_CLASS = "".join(
    _escaped(a) if a == b else f"{_escaped(a)}-{_escaped(b)}" for a, b in _ranges(INVISIBLE)
)


def invisible_in(text: str) -> list[str]:
    """The invisible or bidirectional control characters in `text`, as U+XXXX, in order."""
    return [f"U+{ord(c):04X}" for c in text if c in INVISIBLE]


def folded(text: str) -> str:
    """NFKC: fullwidth letters and digits become ASCII, compatibility forms are folded."""
    return unicodedata.normalize("NFKC", text)


def normalise_name(name: str) -> str:
    """Names compare NFKC-normalised (ＡＢＣ is ABC), without surrounding or repeated spaces.

    Invisible characters are refused where names are taken (`schemas.Name`), not removed here."""
    return " ".join(folded(name).split())
