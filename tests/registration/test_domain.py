"""The review workflow as a table, and who may move it: pure rules, no I/O."""

import itertools

import pytest

from services.registration.domain import (
    Action,
    Status,
    check_may_act,
    check_may_read,
    next_status,
)
from shared.auth import Principal
from shared.problems import Forbidden, RuleViolated
from shared.settings import Settings

EDITION = Settings().edition
D, S, A, R, W = Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.REJECTED, Status.WITHDRAWN

# Written out here on purpose (not imported): the test states the workflow independently.
EXPECTED = {
    (D, Action.EDIT): D,
    (D, Action.SUBMIT): S,
    (D, Action.WITHDRAW): W,
    (S, Action.APPROVE): A,
    (S, Action.REJECT): R,
    (S, Action.WITHDRAW): W,
    (A, Action.EDIT): S,  # revised: back to review
    (A, Action.REJECT): R,  # revokes the approval
    (A, Action.WITHDRAW): W,
    (R, Action.EDIT): R,
    (R, Action.SUBMIT): S,
}


@pytest.mark.parametrize(("status", "action"), list(itertools.product(Status, Action)))
def test_every_state_and_action(status, action):
    if (status, action) in EXPECTED:
        assert next_status(status, action) is EXPECTED[(status, action)]
    else:
        with pytest.raises(RuleViolated) as refused:
            next_status(status, action)
        assert refused.value.extra["rule"] == "transition"
        assert refused.value.extra["allowed"] == sorted(a for (s, a) in EXPECTED if s == status)
        assert (
            f"cannot {action.value} an achievement that is {status.value}" in refused.value.detail
        )


def test_a_withdrawn_achievement_is_final():
    assert all((W, action) not in EXPECTED for action in Action)
    with pytest.raises(RuleViolated, match="allowed: none") as refused:
        next_status(W, Action.SUBMIT)
    assert refused.value.extra["allowed"] == []


COUNTY = Principal("zhang", "county:kongtong")
OTHER_COUNTY = Principal("li", "county:huating")
REVIEWER = Principal("wang", "group:registration")
OTHER_GROUP = Principal("zhao", "group:publicity")
COMMITTEE = Principal("chen", "committee")


@pytest.mark.parametrize(
    ("principal", "action", "frozen", "outcome"),
    [
        (COUNTY, Action.SUBMIT, False, None),
        (COUNTY, Action.EDIT, False, None),
        (COUNTY, Action.WITHDRAW, False, None),
        (COUNTY, Action.SUBMIT, True, RuleViolated),  # the freeze stops counties
        (COUNTY, Action.APPROVE, False, Forbidden),  # nobody reviews their own
        (OTHER_COUNTY, Action.SUBMIT, False, Forbidden),
        (REVIEWER, Action.APPROVE, False, None),
        (REVIEWER, Action.REJECT, True, None),  # review goes on after the freeze
        (REVIEWER, Action.SUBMIT, False, Forbidden),
        (OTHER_GROUP, Action.APPROVE, False, Forbidden),
        (COMMITTEE, Action.EDIT, True, None),  # the committee can always
        (COMMITTEE, Action.APPROVE, False, None),
    ],
)
def test_who_may_act(principal, action, frozen, outcome):
    if outcome is None:
        check_may_act(principal, EDITION, action, "kongtong", frozen)
    else:
        with pytest.raises(outcome):
            check_may_act(principal, EDITION, action, "kongtong", frozen)


@pytest.mark.parametrize(
    ("principal", "allowed"),
    [
        (COUNTY, True),
        (OTHER_COUNTY, False),
        (REVIEWER, True),
        (OTHER_GROUP, False),
        (COMMITTEE, True),
    ],
)
def test_who_may_read_a_countys_registrations(principal, allowed):
    if allowed:
        check_may_read(principal, EDITION, "kongtong")
    else:
        with pytest.raises(Forbidden):
            check_may_read(principal, EDITION, "kongtong")
