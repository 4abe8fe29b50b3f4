"""The reporting service process."""

from services.reporting.api import router
from services.reporting.api_briefings import router as briefings_router
from services.reporting.api_dispatch import router as dispatch_router
from services.reporting.domain import Rule
from services.reporting.handlers import CONSUMERS
from services.reporting.metrics import install_metrics
from services.reporting.models import metadata
from services.reporting.scheduler import schedule_forever
from shared.app import create_app
from shared.events import REPORTING_EVENTS
from shared.settings import Settings

SERVICE = "reporting"


def build(settings: Settings | None = None):
    app = create_app(
        SERVICE,
        metadata,
        routers=[router, dispatch_router, briefings_router],
        consumers=CONSUMERS,
        publishes=REPORTING_EVENTS,
        background=[schedule_forever],
        settings=settings,
        rules=Rule,
        description="Status aggregated from every service's events, for people and Prometheus.",
    )
    install_metrics(app.state.runtime)
    return app
