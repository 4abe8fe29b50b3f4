"""The reporting cadence, with no I/O: weekly periods until the cut-over, daily after, each
due at the edition's due time on its last day (local time); a report's standing in a period."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from shared.edition import Edition

# How a period's code is written (Period.code, as periods() makes it): W or D, then its first
# day. The paths that name a period match only this (api_dispatch's convertor).
PERIOD_CODE = r"[WD][0-9]{4}-[0-9]{2}-[0-9]{2}"


@dataclass(frozen=True)
class Period:
    code: str  # W2020-07-20 (a week starting then) or D2020-08-16 (a day)
    first: date
    last: date
    due_at: datetime  # aware, UTC


def periods(edition: Edition) -> list[Period]:
    d = edition.dates
    found: list[Period] = []
    start = d.dispatch_start
    while (
        start <= d.weekly_reports_until
    ):  # 周: every week until the cut-over (the last may be short)
        last = min(start + timedelta(days=6), d.weekly_reports_until)
        found.append(Period(f"W{start.isoformat()}", start, last, _due(edition, last)))
        start = last + timedelta(days=1)
    day = d.daily_reports_from
    while day <= d.launch_day:  # 日: every day from the cut-over to the launch
        found.append(Period(f"D{day.isoformat()}", day, day, _due(edition, day)))
        day += timedelta(days=1)
    return found


def _due(edition: Edition, last: date) -> datetime:
    return datetime.combine(last, edition.reports.due_time, tzinfo=edition.zone).astimezone(UTC)


def reporters(edition: Edition) -> list[str]:
    """Every working group and every county files reports."""
    return [f"group:{g.code}" for g in edition.working_groups] + [
        f"county:{c.code}" for c in edition.counties
    ]


def standing(period: Period, first_submitted_at: datetime | None, now: datetime) -> str:
    """on_time | late | missing | pending (not due yet)."""
    if first_submitted_at is not None:
        return "on_time" if first_submitted_at <= period.due_at else "late"
    return "missing" if now > period.due_at else "pending"


def escalation_target(edition: Edition, reporter: str, level: int) -> str:
    """Who is told at a level, by role: it goes into `expo.reporting.report.escalated`, so never
    a person's name (not the edition's `leader` of a group either)."""
    if level == 1:
        return reporter
    if level == 2:
        return f"leader of {reporter}"
    if level == 3:
        return f"group:{edition.responsibilities.coordination}"
    return "leading group"


def levels_due(edition: Edition, period: Period, now: datetime) -> list[int]:
    """Which alert levels a still-missing report has reached by `now` (1 at the due time)."""
    if now <= period.due_at:
        return []
    reached = [1]
    for level, hours in zip((2, 3, 4), edition.reports.escalation_hours, strict=True):
        if now > period.due_at + timedelta(hours=hours):
            reached.append(level)
    return reached
