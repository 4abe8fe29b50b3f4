"""The service's own view on /metrics: halls by stage, booths, release sessions."""

from prometheus_client import Gauge
from sqlalchemy import func, select

from services.exhibitions.domain import ReleaseStatus, Stage
from services.exhibitions.models import booths, halls, releases
from shared.runtime import Runtime


def install_metrics(runtime: Runtime) -> None:
    registry = runtime.metrics.registry
    hall_stage = Gauge("expo_exhibitions_halls", "Halls by stage", ["stage"], registry=registry)
    booth_count = Gauge(
        "expo_exhibitions_booths", "Booths per hall", ["hall", "county", "state"], registry=registry
    )
    release_count = Gauge(
        "expo_exhibitions_releases", "Release sessions by status", ["status"], registry=registry
    )

    async def refresh() -> None:
        async with runtime.sessions() as session:
            stages = dict(
                (
                    await session.execute(
                        select(halls.c.stage, func.count()).group_by(halls.c.stage)
                    )
                ).all()
            )
            per_hall = await session.execute(
                select(
                    halls.c.code,
                    halls.c.county,
                    func.count(booths.c.id),
                    func.count(booths.c.achievement_id),
                )
                .select_from(halls.outerjoin(booths, booths.c.hall_id == halls.c.id))
                .group_by(halls.c.code, halls.c.county)
            )
            statuses = dict(
                (
                    await session.execute(
                        select(releases.c.status, func.count()).group_by(releases.c.status)
                    )
                ).all()
            )
        for stage in Stage:
            hall_stage.labels(stage.value).set(stages.get(stage.value, 0))
        for code, county, total, assigned in per_hall:
            booth_count.labels(code, county or "", "assigned").set(assigned)
            booth_count.labels(code, county or "", "free").set(total - assigned)
        for status in ReleaseStatus:
            release_count.labels(status.value).set(statuses.get(status.value, 0))

    runtime.metrics.on_scrape(refresh)
