"""The registration service process."""

from services.registration.api import router
from services.registration.models import metadata
from shared.app import create_app
from shared.events import UnitRegistered
from shared.settings import Settings

SERVICE = "registration"


def build(settings: Settings | None = None):
    return create_app(
        SERVICE,
        metadata,
        routers=[router],
        publishes=[UnitRegistered],
        settings=settings,
        description="County science bureaus register participating units and their achievements.",
    )
