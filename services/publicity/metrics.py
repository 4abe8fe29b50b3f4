"""The service's own view on /metrics: items by status, deliveries by channel, bulletins."""

from prometheus_client import Gauge
from sqlalchemy import func, select

from services.publicity.models import bulletins, deliveries, items
from shared.runtime import Runtime


def install_metrics(runtime: Runtime) -> None:
    registry = runtime.metrics.registry
    item_count = Gauge(
        "expo_publicity_items", "Publicity items by status", ["status"], registry=registry
    )
    delivery_count = Gauge(
        "expo_publicity_deliveries",
        "Deliveries by channel and status",
        ["channel", "status"],
        registry=registry,
    )
    bulletin_count = Gauge(
        "expo_publicity_bulletins",
        "Bulletins by source and status",
        ["source", "status"],
        registry=registry,
    )

    async def refresh() -> None:
        async with runtime.sessions() as session:
            by_status = (
                await session.execute(select(items.c.status, func.count()).group_by(items.c.status))
            ).all()
            by_channel = (
                await session.execute(
                    select(deliveries.c.channel, deliveries.c.status, func.count()).group_by(
                        deliveries.c.channel, deliveries.c.status
                    )
                )
            ).all()
            by_source = (
                await session.execute(
                    select(bulletins.c.source, bulletins.c.status, func.count()).group_by(
                        bulletins.c.source, bulletins.c.status
                    )
                )
            ).all()
        for gauge, rows in (
            (item_count, by_status),
            (delivery_count, by_channel),
            (bulletin_count, by_source),
        ):
            gauge.clear()
            for *labels, n in rows:
                gauge.labels(*labels).set(n)

    runtime.metrics.on_scrape(refresh)
