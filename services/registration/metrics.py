"""The service's own view on /metrics: units per county, achievements per county and status."""

from prometheus_client import Gauge
from sqlalchemy import func, select

from services.registration.domain import Status
from services.registration.models import achievements, units
from shared.runtime import Runtime


def install_metrics(runtime: Runtime) -> None:
    registry = runtime.metrics.registry
    unit_gauge = Gauge("expo_registration_units", "Registered units", ["county"], registry=registry)
    achievement_gauge = Gauge(
        "expo_registration_achievements",
        "Achievements by status",
        ["county", "status"],
        registry=registry,
    )
    counties = sorted(runtime.edition.county_codes)

    async def refresh() -> None:
        async with runtime.sessions() as session:
            unit_counts = dict(
                (
                    await session.execute(
                        select(units.c.county, func.count()).group_by(units.c.county)
                    )
                ).all()
            )
            achievement_counts = {
                (county, status): n
                for county, status, n in await session.execute(
                    select(achievements.c.county, achievements.c.status, func.count()).group_by(
                        achievements.c.county, achievements.c.status
                    )
                )
            }
        for county in counties:  # zeros included, so dashboards show every county
            unit_gauge.labels(county).set(unit_counts.get(county, 0))
            for status in Status:
                achievement_gauge.labels(county, status.value).set(
                    achievement_counts.get((county, status.value), 0)
                )

    runtime.metrics.on_scrape(refresh)
