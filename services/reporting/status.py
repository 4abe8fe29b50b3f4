"""Read side: figures per county, for HTTP and for Prometheus."""

from prometheus_client import Gauge
from sqlalchemy import select

from services.reporting.models import county_units
from shared.runtime import Runtime


async def units_per_county(runtime: Runtime) -> dict[str, int]:
    counts = dict.fromkeys(sorted(runtime.edition.county_codes), 0)
    async with runtime.sessions() as session:
        for county, units in (await session.execute(select(county_units))).all():
            counts[county] = units
    return counts


def install_metrics(runtime: Runtime) -> None:
    units = Gauge(
        "expo_units_registered",
        "Participating units registered, per county",
        ["county"],
        registry=runtime.metrics.registry,
    )

    async def refresh() -> None:
        for county, count in (await units_per_county(runtime)).items():
            units.labels(county).set(count)

    runtime.metrics.on_scrape(refresh)
