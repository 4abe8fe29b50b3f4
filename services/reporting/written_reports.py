"""Written progress reports (书面反馈报告): filed per reporter and period, immutable once filed
(a correction is a new version); the missing ones are said overdue, then escalated a level at
a time after the edition's grace periods, each level once."""

from datetime import datetime

from sqlalchemy import func, insert, select

from services.reporting.cadence import (
    Period,
    escalation_target,
    levels_due,
    periods,
    reporters,
    standing,
)
from services.reporting.domain import Rule
from services.reporting.models import report_alerts, reports
from services.reporting.schemas import MatrixCell, MatrixRow, ReportIn, ReportOut
from shared.api import Page, PageRequest, page_of, paginate
from shared.auth import Principal
from shared.db import aggregate_time
from shared.edition import Edition
from shared.events.reporting import (
    EscalationData,
    ReportData,
    ReportEscalated,
    ReportOverdue,
    ReportSubmitted,
)
from shared.problems import Forbidden, NotFound, RuleViolated
from shared.uow import UnitOfWork


def find_period(edition: Edition, code: str) -> Period:
    period = next((p for p in periods(edition) if p.code == code), None)
    if period is None:
        raise NotFound(f"no reporting period {code!r}", field="period")
    return period


async def submit(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    period_code: str,
    data: ReportIn,
) -> ReportOut:
    """The reporter is whoever files: a county or a working group files its own reports."""
    reporter = principal.role
    if reporter not in reporters(edition):
        raise Forbidden(f"{principal.role} does not file written reports")
    period = find_period(edition, period_code)
    if edition.local_date(now) < period.first:
        raise RuleViolated(
            f"the period {period.code} has not started (it begins on {period.first})",
            field="period",
            rule=Rule.PERIOD_NOT_STARTED,
        )
    latest = await uow.session.scalar(
        select(func.max(reports.c.version)).where(
            reports.c.reporter == reporter, reports.c.period == period.code
        )
    )
    first = await uow.session.scalar(
        select(reports.c.submitted_at).where(
            reports.c.reporter == reporter, reports.c.period == period.code, reports.c.version == 1
        )
    )
    row = data.model_dump(mode="json") | {
        "reporter": reporter,
        "period": period.code,
        "version": (latest or 0) + 1,
        "submitted_at": now,
        "submitted_by": principal.id,
    }
    await uow.session.execute(insert(reports).values(row))
    on_time = (first or now) <= period.due_at
    uow.emit(
        ReportSubmitted(
            edition=edition.code,
            actor=principal.id,
            occurred_at=now,
            data=ReportData(
                reporter=reporter,
                period=period.code,
                due_at=period.due_at,
                version=row["version"],
                rag=row["rag"],
                on_time=on_time,
            ),
        )
    )
    return ReportOut.model_validate(row | {"on_time": on_time})


async def report_versions(
    uow: UnitOfWork,
    edition: Edition,
    principal: Principal,
    paging: PageRequest,
    reporter: str,
    period_code: str,
) -> Page[ReportOut]:
    """Every version a reporter filed for a period, oldest first (none yet: an empty page)."""
    if reporter not in reporters(edition):
        raise NotFound(f"no reporter {reporter!r} in this edition", field="reporter")
    period = find_period(edition, period_code)
    _check_may_read(principal, reporter)
    of_period = (reports.c.reporter == reporter, reports.c.period == period.code)
    first = await uow.session.scalar(select(func.min(reports.c.submitted_at)).where(*of_period))
    on_time = first is None or aggregate_time(first) <= period.due_at
    return await paginate(
        uow.session,
        select(reports).where(*of_period),
        paging,
        lambda row: ReportOut.model_validate(row | {"on_time": on_time}),
        reports.c.version,
    )


async def matrix(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, paging: PageRequest
) -> Page[MatrixRow]:
    """Every reporter × every period: on time, late, missing or not due yet."""
    firsts = {
        (r, p): (at, n)
        for r, p, at, n in await uow.session.execute(
            select(
                reports.c.reporter, reports.c.period, func.min(reports.c.submitted_at), func.count()
            ).group_by(reports.c.reporter, reports.c.period)
        )
    }
    latest_rag = {
        (r, p): rag
        for r, p, rag in await uow.session.execute(
            select(reports.c.reporter, reports.c.period, reports.c.rag).order_by(reports.c.version)
        )
    }
    levels = {
        (r, p): level
        for r, p, level in await uow.session.execute(
            select(
                report_alerts.c.reporter, report_alerts.c.period, func.max(report_alerts.c.level)
            ).group_by(report_alerts.c.reporter, report_alerts.c.period)
        )
    }
    visible = [r for r in reporters(edition) if _may_read(principal, r)]
    if not visible:
        raise Forbidden(f"{principal.role} may not read written reports")
    rows = []
    for reporter in visible:
        cells = []
        for period in periods(edition):
            at, versions = firsts.get((reporter, period.code), (None, 0))
            cells.append(
                MatrixCell(
                    period=period.code,
                    due_at=period.due_at,
                    standing=standing(period, aggregate_time(at), now),
                    versions=versions,
                    rag=latest_rag.get((reporter, period.code)),
                    escalation_level=levels.get((reporter, period.code), 0),
                )
            )
        rows.append(MatrixRow(reporter=reporter, cells=cells))
    return page_of(rows, paging)


async def raise_alerts(uow: UnitOfWork, edition: Edition, now: datetime) -> int:
    """For each missing report past its due time: the levels reached and not yet said."""
    filed = {
        (r, p)
        for r, p in await uow.session.execute(
            select(reports.c.reporter, reports.c.period).distinct()
        )
    }
    said = {
        (r, p, lv)
        for r, p, lv in await uow.session.execute(
            select(report_alerts.c.reporter, report_alerts.c.period, report_alerts.c.level)
        )
    }
    raised = 0
    for period in periods(edition):
        reached = levels_due(edition, period, now)
        if not reached:
            continue
        for reporter in reporters(edition):
            if (reporter, period.code) in filed:
                continue
            for level in reached:
                if (reporter, period.code, level) in said:
                    continue
                await uow.session.execute(
                    insert(report_alerts).values(
                        reporter=reporter, period=period.code, level=level, at=now
                    )
                )
                data = ReportData(reporter=reporter, period=period.code, due_at=period.due_at)
                if level == 1:
                    uow.emit(
                        ReportOverdue(
                            edition=edition.code,
                            actor="system:scheduler",
                            occurred_at=now,
                            data=data,
                        )
                    )
                else:
                    escalation = EscalationData(
                        **data.model_dump(),
                        level=level,
                        escalated_to=escalation_target(edition, reporter, level),
                    )
                    uow.emit(
                        ReportEscalated(
                            edition=edition.code,
                            actor="system:scheduler",
                            occurred_at=now,
                            data=escalation,
                        )
                    )
                raised += 1
    return raised


def _may_read(principal: Principal, reporter: str) -> bool:
    return principal.is_committee or principal.group is not None or principal.role == reporter


def _check_may_read(principal: Principal, reporter: str) -> None:
    if not _may_read(principal, reporter):
        raise Forbidden(f"{principal.role} may not read reports of {reporter}")


async def standings(uow: UnitOfWork, edition: Edition, now: datetime) -> dict[str, dict[str, int]]:
    """Per reporter: how many periods are on_time, late, missing (and pending)."""
    firsts = {
        (r, p): aggregate_time(at)
        for r, p, at in await uow.session.execute(
            select(reports.c.reporter, reports.c.period, func.min(reports.c.submitted_at)).group_by(
                reports.c.reporter, reports.c.period
            )
        )
    }
    counts: dict[str, dict[str, int]] = {}
    for reporter in reporters(edition):
        tally = dict.fromkeys(("on_time", "late", "missing", "pending"), 0)
        for period in periods(edition):
            tally[standing(period, firsts.get((reporter, period.code)), now)] += 1
        counts[reporter] = tally
    return counts
