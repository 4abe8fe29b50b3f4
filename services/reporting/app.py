"""The reporting service process."""

from services.reporting.api import router
from services.reporting.handlers import registration_events
from services.reporting.models import metadata
from services.reporting.status import install_metrics
from shared.app import create_app
from shared.settings import Settings

SERVICE = "reporting"


def build(settings: Settings | None = None):
    app = create_app(
        SERVICE,
        metadata,
        routers=[router],
        consumers=[registration_events],
        settings=settings,
        description="Status aggregated from every service's events, for people and Prometheus.",
    )
    install_metrics(app.state.runtime)
    return app
