"""The daily dispatch briefing (日调度简报): countdown, what changed since yesterday, what is
late, problems raised in reports, and the per-county table; Markdown and HTML from one outline."""

import html
import json
import re
from datetime import date, datetime, timedelta

from sqlalchemy import and_, delete, func, insert, select, update

from services.reporting import tasks as task_cases
from services.reporting.cadence import periods, reporters, standing
from services.reporting.domain import Rule
from services.reporting.models import briefings, projects, report_alerts, reports
from services.reporting.status import county_status
from shared.edition import Edition
from shared.events.reporting import BriefingData, BriefingIssued
from shared.problems import RuleViolated
from shared.uow import UnitOfWork

# Markdown's inline punctuation; a backslash before any of them shows the character as it is
MD_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#!<>|~&$^])")
LINE_BREAKS = re.compile(r"\s*[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+\s*")

HALL_STAGES = ["planned", "designed", "built", "exhibits_in_place", "safety_inspected", "ready"]
ERASED = "（已删除 erased）"  # shown for a responsible person whose name was erased


def _snapshot(per_county: dict[str, dict]) -> dict[str, dict[str, float]]:
    """The figures whose change from one day to the next is worth a line."""
    snap = {}
    for county, s in per_county.items():
        signings = {k: v for k, v in s["signings"].items() if k != "cancelled"}
        snap[county] = {
            "units": s["units"],
            "achievements approved": s["achievements"].get("approved", 0),
            "hall stage": HALL_STAGES.index(s["hall"]["stage"]) if s["hall"]["stage"] else -1,
            "booths assigned": s["booths"]["assigned"],
            "signing projects": sum(v["count"] for v in signings.values()),
            "signing amount (万元)": round(
                sum(v["amount_cny"] for v in signings.values()) / 10_000, 2
            ),
            "bulletins adopted": s["bulletins"]["adopted"],
            "readiness": s["readiness"]["score"],
        }
    return snap


async def issue(
    uow: UnitOfWork, edition: Edition, now: datetime, day: date, actor: str, reissue: bool = False
) -> dict:
    if not (edition.dates.dispatch_start <= day <= edition.dates.launch_day):
        raise RuleViolated(
            f"briefings cover {edition.dates.dispatch_start} to {edition.dates.launch_day}",
            field="day",
            rule=Rule.OUTSIDE_DISPATCH,
        )
    existing = (await uow.session.execute(select(briefings).where(briefings.c.day == day))).first()
    if existing is not None and not reissue:
        return existing._asdict()
    # What is news runs from the last briefing of an earlier day, never from this day's own
    # earlier issue: a re-issue covers the window its first issue covered, brought up to now.
    previous = (
        await uow.session.execute(
            select(briefings.c.snapshot, briefings.c.issued_at)
            .where(briefings.c.day < day)
            .order_by(briefings.c.day.desc())
            .limit(1)
        )
    ).first()
    if existing is not None:
        await uow.session.execute(delete(briefings).where(briefings.c.day == day))
    per_county = await county_status(uow.session, edition)
    snapshot = _snapshot(per_county)
    changes = _changes(json.loads(previous.snapshot) if previous else {}, snapshot, edition)
    late_tasks = await task_cases.query_tasks(uow, now, overdue=True)
    missing = await missing_reports(uow, edition, now)
    problems = await _problems(uow, previous.issued_at if previous else None)
    failed_halls = [c for c, s in per_county.items() if s["hall"]["inspection_failed"]]
    days_to_launch = (edition.dates.launch_day - day).days
    close_to_launch = days_to_launch <= edition.reports.halls_ready_days
    halls_behind = [
        c for c, s in per_county.items() if close_to_launch and s["hall"]["stage"] != "ready"
    ]
    outline = {
        "day": day,
        "days_to_launch": days_to_launch,
        "changes": changes,
        "late_tasks": late_tasks,
        "missing": missing,
        "failed_halls": [edition.county(c).name for c in failed_halls],
        "halls_behind": [edition.county(c).name for c in halls_behind],
        "stale_projects": await stale_projects(uow, edition, now),
        "problems": problems,
        "counties": per_county,
    }
    row = {
        "day": day,
        "markdown": _markdown(edition, outline),
        "html": _html(edition, outline),
        "snapshot": json.dumps(snapshot),
        "issued_at": now,
        "issued_by": actor,
    }
    await uow.session.execute(insert(briefings).values(row))
    data = BriefingData(
        day=day,
        days_to_launch=outline["days_to_launch"],
        late_tasks=len(late_tasks),
        missing_reports=len(missing),
        problems_raised=len(problems),
        issued_at=now,
    )
    uow.emit(BriefingIssued(edition=edition.code, actor=actor, occurred_at=now, data=data))
    return row


async def issue_if_due(uow: UnitOfWork, edition: Edition, now: datetime) -> bool:
    """Each morning from the dispatch start: today's briefing once the briefing time has passed."""
    local = now.astimezone(edition.zone)
    today = local.date()
    if (
        not (edition.dates.dispatch_start <= today <= edition.dates.launch_day)
        or local.time() < edition.reports.briefing_time
    ):
        return False
    if (await uow.session.execute(select(briefings.c.day).where(briefings.c.day == today))).first():
        return False
    await issue(uow, edition, now, today, "system:scheduler")
    return True


async def missing_reports(uow: UnitOfWork, edition: Edition, now: datetime) -> list[dict]:
    filed = {
        (r, p)
        for r, p in await uow.session.execute(
            select(reports.c.reporter, reports.c.period).distinct()
        )
    }
    levels: dict[tuple[str, str], int] = {}
    for r, p, lv in await uow.session.execute(
        select(report_alerts.c.reporter, report_alerts.c.period, report_alerts.c.level)
    ):
        levels[(r, p)] = max(lv, levels.get((r, p), 0))
    found = []
    for period in periods(edition):
        for reporter in reporters(edition):
            if (reporter, period.code) not in filed and standing(period, None, now) == "missing":
                found.append(
                    {
                        "reporter": reporter,
                        "period": period.code,
                        "due_at": period.due_at,
                        "level": levels.get((reporter, period.code), 0),
                    }
                )
    return found


async def stale_projects(uow: UnitOfWork, edition: Edition, now: datetime) -> list[dict]:
    """Open signing projects in the same stage for the edition's stale days or more, per county."""
    limit = now - timedelta(days=edition.reports.stale_signing_days)
    rows = await uow.session.execute(
        select(projects.c.county, projects.c.stage, func.count())
        .where(
            projects.c.stage.in_(["proposed", "negotiating", "agreed"]),
            projects.c.stage_since <= limit,
        )
        .group_by(projects.c.county, projects.c.stage)
        .order_by(projects.c.county, projects.c.stage)
    )
    return [{"county": c, "stage": s, "count": n} for c, s, n in rows]


def _who(task) -> str:
    return ERASED if task.responsible is None else task.responsible


async def redact(uow: UnitOfWork, group: str, name: str) -> None:
    """A person's name erased (responsibles.py) leaves the briefings already issued too:
    where a late task of `group` showed it, they say ERASED. (The same name in the same group
    is the same person.)"""
    in_markdown = re.compile(
        rf"^(- \[{re.escape(md(group))}\] .*) — {re.escape(md(name))}, due ", re.MULTILINE
    )
    in_html = re.compile(
        rf"(<li>\[{re.escape(html.escape(group))}\] [^<]*) — {re.escape(html.escape(name))}, "
    )
    issued = await uow.session.execute(
        select(briefings.c.day, briefings.c.markdown, briefings.c.html)
    )
    for day, markdown, page in issued:
        redacted = {
            "markdown": in_markdown.sub(lambda m: f"{m[1]} — {md(ERASED)}, due ", markdown),
            "html": in_html.sub(lambda m: f"{m[1]} — {html.escape(ERASED)}, ", page),
        }
        if redacted != {"markdown": markdown, "html": page}:
            await uow.session.execute(
                update(briefings).where(briefings.c.day == day).values(redacted)
            )


def _stale_lines(o: dict) -> list[str]:
    return [f"{p['county']}: {p['count']} {p['stage']}" for p in o["stale_projects"]]


async def _problems(uow: UnitOfWork, since: datetime | None) -> list[dict]:
    """The problems of the reports filed or corrected since the last briefing (all of them
    before the first one). A report counts once, as its latest version says: a problem a
    correction dropped is not listed."""
    latest = (
        select(reports.c.reporter, reports.c.period, func.max(reports.c.version).label("version"))
        .group_by(reports.c.reporter, reports.c.period)
        .subquery()
    )
    query = (
        select(reports.c.reporter, reports.c.period, reports.c.problems)
        .join(
            latest,
            and_(
                reports.c.reporter == latest.c.reporter,
                reports.c.period == latest.c.period,
                reports.c.version == latest.c.version,
            ),
        )
        .where(reports.c.problems != "")
        .order_by(reports.c.reporter, reports.c.period)
    )
    if since is not None:
        query = query.where(reports.c.submitted_at > since)
    rows = await uow.session.execute(query)
    return [{"reporter": r, "period": p, "problems": text} for r, p, text in rows]


def _changes(before: dict, after: dict, edition: Edition) -> list[str]:
    lines = []
    for county, figures in after.items():
        for name, value in figures.items():
            old = before.get(county, {}).get(name)
            if old is not None and old != value:
                lines.append(f"{edition.county(county).name}: {name} {_fmt(old)} → {_fmt(value)}")
    return lines


def _fmt(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _wan(amount_cny: int) -> str:
    return f"{amount_cny / 10_000:.2f}"


def _county_rows(edition: Edition, counties: dict[str, dict]) -> list[list[str]]:
    rows = []
    for county, s in counties.items():
        signings = {k: v for k, v in s["signings"].items() if k != "cancelled"}
        rows.append(
            [
                edition.county(county).name,
                f"{s['readiness']['score']:.2f}",
                s["readiness"]["rag"],
                str(s["units"]),
                str(s["achievements"].get("approved", 0)),
                s["hall"]["stage"] or "—",
                f"{s['booths']['assigned']}/{s['booths']['total']}",
                f"{sum(v['count'] for v in signings.values())} / "
                f"{_wan(sum(v['amount_cny'] for v in signings.values()))}",
                str(s["bulletins"]["adopted"]),
            ]
        )
    return rows


HEADER = [
    "县区 County",
    "Readiness",
    "RAG",
    "Units",
    "Approved",
    "Hall",
    "Booths",
    "Signings / 万元",
    "Bulletins adopted",
]


def md(text: object) -> str:
    """Text someone typed (a report's problems, a task's title, a name) as Markdown that shows
    it as it is: on one line (a line break becomes a space, so it never starts a heading, a
    list or a quote) and with every Markdown punctuation escaped (no link, image, emphasis,
    HTML or table cell comes out of it)."""
    one_line = LINE_BREAKS.sub(" ", str(text)).strip()
    return MD_PUNCTUATION.sub(r"\\\1", one_line)


def _markdown(edition: Edition, o: dict) -> str:
    lines = [
        f"# 日调度简报 Daily dispatch briefing — {o['day'].isoformat()}",
        "",
        f"**{md(edition.name)}**",
        "",
        f"距启动仪式还有 **{o['days_to_launch']}** 天 "
        f"({o['days_to_launch']} days to the launch on {edition.dates.launch_day}).",
        "",
        "## Changes since the last briefing",
        *([f"- {md(c)}" for c in o["changes"]] or ["- none"]),
        "",
        f"## Late tasks ({len(o['late_tasks'])})",
        *(
            [
                f"- [{md(t.group)}] {md(t.title)} — {md(_who(t))}, "
                f"due {t.deadline.astimezone(edition.zone):%m-%d %H:%M}, {t.status.value} {t.progress}%"
                for t in o["late_tasks"]
            ]
            or ["- none"]
        ),
        "",
        f"## Missing reports ({len(o['missing'])})",
        *(
            [
                f"- {md(m['reporter'])} — {md(m['period'])} (escalation level {m['level']})"
                for m in o["missing"]
            ]
            or ["- none"]
        ),
        "",
        "## Halls held back by a failed safety inspection",
        *([f"- {md(name)}" for name in o["failed_halls"]] or ["- none"]),
        "",
        f"## Halls not ready {edition.reports.halls_ready_days} days before the launch",
        *([f"- {md(name)}" for name in o["halls_behind"]] or ["- none"]),
        "",
        f"## Signing projects stuck in their stage for {edition.reports.stale_signing_days}+ days",
        *([f"- {md(line)}" for line in _stale_lines(o)] or ["- none"]),
        "",
        "## Problems raised in reports (协调解决问题)",
        *(
            [
                f"- {md(p['reporter'])} ({md(p['period'])}): {md(p['problems'])}"
                for p in o["problems"]
            ]
            or ["- none"]
        ),
        "",
        "## Counties",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
        *[
            "| " + " | ".join(md(cell) for cell in row) + " |"
            for row in _county_rows(edition, o["counties"])
        ],
        "",
    ]
    return "\n".join(lines)


def _html(edition: Edition, o: dict) -> str:
    e = html.escape

    def items(values: list[str]) -> str:
        return "<ul>" + "".join(f"<li>{e(v)}</li>" for v in values or ["none"]) + "</ul>"

    table = (
        "<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in HEADER) + "</tr></thead><tbody>"
    )
    for row in _county_rows(edition, o["counties"]):
        table += f'<tr class="{e(row[2])}">' + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>"
    table += "</tbody></table>"
    tasks = [
        f"[{t.group}] {t.title} — {_who(t)}, {t.status.value} {t.progress}%"
        for t in o["late_tasks"]
    ]
    missing = [f"{m['reporter']} — {m['period']} (level {m['level']})" for m in o["missing"]]
    problems = [f"{p['reporter']} ({p['period']}): {p['problems']}" for p in o["problems"]]
    return (
        '<!doctype html><html lang="zh"><head><meta charset="utf-8">'
        f"<title>日调度简报 {o['day'].isoformat()}</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
        "td,th{padding:.2em .6em;border-bottom:1px solid #ddd}"
        ".red{background:#fdd}.amber{background:#ffd}.green{background:#dfd}</style></head><body>"
        f"<h1>日调度简报 Daily dispatch briefing — {o['day'].isoformat()}</h1><p><b>{e(edition.name)}</b></p>"
        f"<p>距启动仪式还有 <b>{o['days_to_launch']}</b> 天 ({o['days_to_launch']} days to the launch).</p>"
        f"<h2>Changes since the last briefing</h2>{items(o['changes'])}"
        f"<h2>Late tasks ({len(tasks)})</h2>{items(tasks)}"
        f"<h2>Missing reports ({len(missing)})</h2>{items(missing)}"
        f"<h2>Halls held back by a failed safety inspection</h2>{items(o['failed_halls'])}"
        f"<h2>Halls not ready</h2>{items(o['halls_behind'])}"
        f"<h2>Signing projects stuck in their stage</h2>{items(_stale_lines(o))}"
        f"<h2>Problems raised in reports</h2>{items(problems)}"
        f"<h2>Counties</h2>{table}</body></html>"
    )
