"""Exhibition rules without I/O: hall stages in order, what fits where, best-fit allocation."""

import pytest

from services.exhibitions.allocation import propose
from services.exhibitions.domain import (
    BoothSpace,
    Exhibit,
    ReleaseAction,
    ReleaseStatus,
    Stage,
    StageMove,
    assignment_problem,
    check_inspectable,
    next_release_status,
    next_stage,
)
from shared.problems import RuleViolated

ORDER = ["planned", "designed", "built", "exhibits_in_place", "safety_inspected", "ready"]
MOVES = ["designed", "built", "exhibits_in_place", "ready"]  # safety_inspected: by inspection
NEXT_BY_REQUEST = {
    "planned": ["designed"],
    "designed": ["built"],
    "built": ["exhibits_in_place"],
    "exhibits_in_place": [],  # a passing inspection moves it on
    "safety_inspected": ["ready"],
    "ready": [],
}


@pytest.mark.parametrize(("current", "wanted"), [(a, b) for a in ORDER for b in MOVES])
def test_halls_move_one_step_forward_and_a_refusal_names_the_stage_allowed(current, wanted):
    allowed = NEXT_BY_REQUEST[current]
    if wanted in allowed:
        assert next_stage(Stage(current), StageMove(wanted)) is Stage(wanted)
        return
    with pytest.raises(RuleViolated) as refused:
        next_stage(Stage(current), StageMove(wanted))
    assert refused.value.extra["rule"] == "stage_order"
    assert refused.value.extra["allowed"] == allowed
    assert refused.value.field == "stage"


def test_the_stage_request_never_offers_what_only_an_inspection_or_the_start_reaches():
    assert [m.value for m in StageMove] == MOVES


@pytest.mark.parametrize("current", [s for s in ORDER if s != "exhibits_in_place"])
def test_an_inspection_out_of_turn_names_the_stage_moves_allowed(current):
    with pytest.raises(RuleViolated) as refused:
        check_inspectable(Stage(current))
    assert refused.value.extra["rule"] == "inspection_stage"
    assert refused.value.extra["allowed"] == NEXT_BY_REQUEST[current]


@pytest.mark.parametrize(
    ("status", "action", "allowed"),
    [
        ("held", "hold", []),
        ("held", "cancel", []),
        ("cancelled", "hold", []),
        ("cancelled", "cancel", []),
    ],
)
def test_a_release_session_moves_once_and_a_refusal_names_what_is_left(status, action, allowed):
    assert next_release_status(ReleaseStatus.SCHEDULED, ReleaseAction(action)) in (
        ReleaseStatus.HELD,
        ReleaseStatus.CANCELLED,
    )
    with pytest.raises(RuleViolated) as refused:
        next_release_status(ReleaseStatus(status), ReleaseAction(action))
    assert (refused.value.extra["rule"], refused.value.extra["allowed"]) == ("transition", allowed)


def exhibit(
    id_: str, area: float, power: float = 0, county: str = "kongtong", status: str = "approved"
) -> Exhibit:
    return Exhibit(id_, county, f"exhibit {id_}", status, area, power)


def booth(id_: str, area: float, power: float = 10, county: str | None = "kongtong") -> BoothSpace:
    return BoothSpace(id_, f"hall-{county}", county, area, power)


@pytest.mark.parametrize(
    ("item", "space", "rule"),
    [
        (exhibit("a", 9, 1), booth("b", 9, 1), None),
        (exhibit("a", 9, 1, status="submitted"), booth("b", 9, 1), "not_approved"),
        (exhibit("a", 9.5), booth("b", 9), "area"),
        (exhibit("a", 9, 2), booth("b", 9, 1), "power"),
        (exhibit("a", 9, county="huating"), booth("b", 9), "other_county"),
        (
            exhibit("a", 9, county="huating"),
            booth("b", 9, county=None),
            None,
        ),  # themed halls take anyone
    ],
)
def test_what_fits_where(item, space, rule):
    problem = assignment_problem(item, space)
    assert (problem[0] if problem else None) == rule


def test_best_fit_keeps_large_booths_for_large_exhibits():
    plan = propose(
        [exhibit("small", 4), exhibit("large", 20), exhibit("medium", 9)],
        [booth("b20", 20), booth("b10", 10), booth("b5", 5)],
    )
    assert {e.achievement_id: b.booth_id for e, b in plan.placements} == {
        "large": "b20",
        "medium": "b10",
        "small": "b5",
    }
    assert plan.unplaced == []


def test_power_decides_between_booths_of_the_same_size():
    plan = propose(
        [exhibit("demo", 9, power=5), exhibit("poster", 9)],
        [booth("quiet", 9, power=0), booth("wired", 9, power=6)],
    )
    assert {e.achievement_id: b.booth_id for e, b in plan.placements} == {
        "demo": "wired",
        "poster": "quiet",
    }


def test_county_halls_first_then_themed_halls_and_reasons_for_the_rest():
    plan = propose(
        [exhibit("k1", 9), exhibit("k2", 9), exhibit("h1", 9, county="huating"), exhibit("k3", 50)],
        [booth("kong", 9), booth("themed", 9, county=None)],
    )
    # Own county hall first; then the leftovers (largest first, ties by id) share the themed hall.
    assert {e.achievement_id: b.booth_id for e, b in plan.placements} == {
        "k1": "kong",
        "h1": "themed",
    }
    assert dict((e.achievement_id, why) for e, why in plan.unplaced) == {
        "k3": "needs 50 m²; the largest free booth has 9 m²; "
        "themed halls: needs 50 m²; the largest free booth has 9 m²",
        "k2": "no free booth left; themed halls: no free booth left",
    }


def test_nothing_is_placed_twice_and_no_booth_holds_two():
    exhibits = [
        exhibit(f"e{i}", (i % 7) + 1, i % 3, county=("kongtong", "huating")[i % 2])
        for i in range(400)
    ]
    booths = [
        booth(f"b{i}", (i % 9) + 1, i % 4, county=("kongtong", "huating", None)[i % 3])
        for i in range(300)
    ]
    plan = propose(exhibits, booths)
    placed_ids = [e.achievement_id for e, _b in plan.placements]
    used = [b.booth_id for _e, b in plan.placements]
    assert len(set(placed_ids)) == len(placed_ids) and len(set(used)) == len(used)
    assert len(plan.placements) + len(plan.unplaced) == len(exhibits)
    assert all(assignment_problem(e, b) is None for e, b in plan.placements)
