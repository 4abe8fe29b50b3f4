"""The exhibitions service process."""

from services.exhibitions.api import router
from services.exhibitions.domain import Rule
from services.exhibitions.handlers import registration_events
from services.exhibitions.metrics import install_metrics
from services.exhibitions.models import metadata
from shared.app import create_app
from shared.events import EXHIBITIONS_EVENTS
from shared.settings import Settings

SERVICE = "exhibitions"


def build(settings: Settings | None = None):
    app = create_app(
        SERVICE,
        metadata,
        routers=[router],
        consumers=[registration_events],
        publishes=EXHIBITIONS_EVENTS,
        settings=settings,
        rules=Rule,
        description="Halls, booths, booth assignment and achievement release sessions.",
    )
    install_metrics(app.state.runtime)
    return app
