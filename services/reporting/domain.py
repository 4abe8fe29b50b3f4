"""Reporting's business rules that a request can meet."""

from enum import StrEnum


class Rule(StrEnum):
    """The business rules a 409 of this service names (`rule`), declared in its OpenAPI."""

    OUTSIDE_DISPATCH = "outside_dispatch"  # briefings cover the dispatch period only
    ALREADY_ISSUED = "already_issued"  # a day's briefing is issued again only when asked to
    PERIOD_NOT_STARTED = "period_not_started"  # a report is filed once its period has begun
    ALREADY_ERASED = "already_erased"  # a responsible person's name is erased once
