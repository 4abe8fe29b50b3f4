"""The signing pipeline's rules, with no I/O."""

import itertools

import pytest

from services.signings.domain import (
    MANUAL_MOVES,
    MoveTarget,
    Stage,
    check_cancellable,
    check_manual_move,
)
from services.signings.schemas import StageIn
from shared.problems import RuleViolated


def test_the_stage_request_offers_exactly_the_stages_a_person_can_move_to():
    assert {to for (_start, to) in MANUAL_MOVES} == set(MoveTarget)
    offered = StageIn.model_json_schema()["$defs"]["MoveTarget"]["enum"]
    assert sorted(offered) == sorted(MoveTarget)


@pytest.mark.parametrize(("start", "wanted"), list(itertools.product(Stage, MoveTarget)))
def test_a_refused_move_names_the_moves_allowed(start, wanted):
    wanted = Stage(wanted)
    if (start, wanted) in MANUAL_MOVES:
        check_manual_move(start, wanted, "a reason")
        return
    with pytest.raises(RuleViolated) as refused:
        check_manual_move(start, wanted, "a reason")
    allowed = sorted(to.value for (at, to) in MANUAL_MOVES if at is start)
    assert refused.value.extra["rule"] == "transition"
    assert refused.value.extra["allowed"] == allowed
    assert refused.value.detail.endswith(f"allowed: {', '.join(allowed) or 'none'}")


@pytest.mark.parametrize("stage", [Stage.SIGNED, Stage.CANCELLED])
def test_a_closed_project_cannot_be_cancelled(stage):
    with pytest.raises(RuleViolated) as refused:
        check_cancellable(stage)
    assert (refused.value.extra["rule"], refused.value.extra["allowed"]) == ("transition", [])
