"""The signings service process."""

from services.signings.api import router
from services.signings.domain import Rule
from services.signings.handlers import registration_events
from services.signings.metrics import install_metrics
from services.signings.models import metadata
from shared.app import create_app
from shared.events import SIGNINGS_EVENTS
from shared.settings import Settings

SERVICE = "signings"


def build(settings: Settings | None = None):
    app = create_app(
        SERVICE,
        metadata,
        routers=[router],
        consumers=[registration_events],
        publishes=SIGNINGS_EVENTS,
        settings=settings,
        rules=Rule,
        description="The project signing pipeline and the ceremony running order.",
    )
    install_metrics(app.state.runtime)
    return app
