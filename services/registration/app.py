"""The registration service process."""

from services.registration.api import router
from services.registration.domain import Rule
from services.registration.metrics import install_metrics
from services.registration.models import metadata
from shared.app import create_app
from shared.events import REGISTRATION_EVENTS
from shared.settings import Settings

SERVICE = "registration"


def build(settings: Settings | None = None):
    app = create_app(
        SERVICE,
        metadata,
        routers=[router],
        publishes=REGISTRATION_EVENTS,
        settings=settings,
        rules=Rule,
        description="County science bureaus register participating units and their achievements.",
    )
    install_metrics(app.state.runtime)
    return app
