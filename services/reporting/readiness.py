"""The readiness rule, with no I/O: parts between 0 and 1, weighted, then red/amber/green."""

from dataclasses import dataclass

from shared.edition import Readiness

HALL_STAGES = ["planned", "designed", "built", "exhibits_in_place", "safety_inspected", "ready"]


@dataclass(frozen=True)
class CountyFacts:
    hall_stage: str | None
    booths: int
    booths_assigned: int
    achievements: dict[str, int]  # status -> count
    projects: dict[str, int]  # stage -> count


def parts(facts: CountyFacts) -> dict[str, float]:
    reviewed = sum(
        n for status, n in facts.achievements.items() if status not in ("draft", "withdrawn")
    )
    open_or_done = sum(n for stage, n in facts.projects.items() if stage != "cancelled")
    agreed = sum(facts.projects.get(stage, 0) for stage in ("agreed", "scheduled", "signed"))
    return {
        "hall_stage": HALL_STAGES.index(facts.hall_stage) / (len(HALL_STAGES) - 1)
        if facts.hall_stage
        else 0.0,
        "booths_filled": facts.booths_assigned / facts.booths if facts.booths else 0.0,
        "achievements_approved": facts.achievements.get("approved", 0) / reviewed
        if reviewed
        else 0.0,
        "signings_agreed": agreed / open_or_done if open_or_done else 0.0,
    }


def score(facts: CountyFacts, rule: Readiness) -> tuple[float, str, dict[str, float]]:
    """(score, rag, parts) for one county."""
    measured = parts(facts)
    total = sum(rule.weights.values())
    value = round(sum(measured[name] * weight for name, weight in rule.weights.items()) / total, 4)
    rag = "green" if value >= rule.green else "amber" if value >= rule.amber else "red"
    return value, rag, {name: round(measured[name], 4) for name in rule.weights}
