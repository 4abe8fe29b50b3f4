"""Business figures for Prometheus, read from the projections at scrape time (so they are
right after a restart and agree across replicas)."""

from prometheus_client import Gauge

from services.reporting import tasks, written_reports
from services.reporting.status import county_status
from shared.runtime import Runtime

RAG_VALUE = {"red": 0, "amber": 1, "green": 2}


def install_metrics(runtime: Runtime) -> None:
    registry = runtime.metrics.registry

    def gauge(name: str, doc: str, labels: list[str]) -> Gauge:
        return Gauge(name, doc, labels, registry=registry)

    units = gauge("expo_units_registered", "Participating units registered, per county", ["county"])
    achievements = gauge("expo_achievements", "Achievements by status", ["county", "status"])
    hall_stage = gauge(
        "expo_hall_stage", "The county hall's stage (0 planned .. 5 ready; -1 no hall)", ["county"]
    )
    booths = gauge("expo_booths", "Booths of the county hall", ["county", "state"])
    releases = gauge("expo_release_sessions", "Release sessions by status", ["county", "status"])
    signings = gauge("expo_signings", "Signing projects by stage", ["county", "stage"])
    signing_amount = gauge(
        "expo_signings_amount_cny", "Signing amounts in yuan by stage", ["county", "stage"]
    )
    published = gauge("expo_publicity_published", "Publicity items published", ["county"])
    bulletins = gauge("expo_bulletins", "Information bulletins", ["county", "state"])
    readiness = gauge("expo_readiness_score", "Readiness score (0..1)", ["county"])
    rag = gauge("expo_readiness_rag", "Readiness: 0 red, 1 amber, 2 green", ["county"])
    report_standing = gauge(
        "expo_reports", "Written reports by reporter and standing", ["reporter", "standing"]
    )
    tasks_overdue = gauge(
        "expo_tasks_overdue", "Working-group tasks past their deadline, not done", ["group"]
    )
    stages = ["planned", "designed", "built", "exhibits_in_place", "safety_inspected", "ready"]

    async def refresh() -> None:
        now = runtime.clock.now()
        async with runtime.sessions() as session:
            per_county = await county_status(session, runtime.edition)
        async with runtime.unit_of_work() as uow:
            standing = await written_reports.standings(uow, runtime.edition, now)
            late = await tasks.query_tasks(uow, now, overdue=True)
        for reporter, tally in standing.items():
            for name, n in tally.items():
                report_standing.labels(reporter, name).set(n)
        for group in sorted(runtime.edition.group_codes):
            tasks_overdue.labels(group).set(sum(1 for t in late if t.group == group))
        for gauge_ in (achievements, releases, signings, signing_amount):
            gauge_.clear()
        for county, s in per_county.items():
            units.labels(county).set(s["units"])
            for status, n in s["achievements"].items():
                achievements.labels(county, status).set(n)
            hall_stage.labels(county).set(
                stages.index(s["hall"]["stage"]) if s["hall"]["stage"] else -1
            )
            booths.labels(county, "assigned").set(s["booths"]["assigned"])
            booths.labels(county, "free").set(s["booths"]["total"] - s["booths"]["assigned"])
            for status, n in s["releases"].items():
                releases.labels(county, status).set(n)
            for stage, figures in s["signings"].items():
                signings.labels(county, stage).set(figures["count"])
                signing_amount.labels(county, stage).set(figures["amount_cny"])
            published.labels(county).set(s["publicity_published"])
            bulletins.labels(county, "received").set(s["bulletins"]["received"])
            bulletins.labels(county, "adopted").set(s["bulletins"]["adopted"])
            readiness.labels(county).set(s["readiness"]["score"])
            rag.labels(county).set(RAG_VALUE[s["readiness"]["rag"]])

    runtime.metrics.on_scrape(refresh)
