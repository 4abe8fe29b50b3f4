"""The service's own view on /metrics: projects and amounts by county, kind and stage.

Named expo_signings_<thing>, as every service's own view is: reporting's business figures
`expo_signings` and `expo_signings_amount_cny` (by county and stage) are other series, and a
name shared with them would be summed twice by any query that does not select a service.
"""

from prometheus_client import Gauge
from sqlalchemy import func, select

from services.signings.models import projects
from shared.runtime import Runtime


def install_metrics(runtime: Runtime) -> None:
    registry = runtime.metrics.registry
    labels = ["county", "kind", "stage"]
    count = Gauge("expo_signings_projects", "Signing projects", labels, registry=registry)
    amount = Gauge(
        "expo_signings_projects_amount_cny", "Signing amounts in yuan", labels, registry=registry
    )

    async def refresh() -> None:
        async with runtime.sessions() as session:
            rows = await session.execute(
                select(
                    projects.c.county,
                    projects.c.kind,
                    projects.c.stage,
                    func.count(),
                    func.sum(projects.c.amount_cny),
                ).group_by(projects.c.county, projects.c.kind, projects.c.stage)
            )
            figures = {(c, k, s): (n, a) for c, k, s, n, a in rows}
        count.clear()
        amount.clear()
        for key, (n, a) in figures.items():
            count.labels(*key).set(n)
            amount.labels(*key).set(int(a or 0))

    runtime.metrics.on_scrape(refresh)
