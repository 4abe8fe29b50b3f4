"""The publicity service process."""

from services.publicity.api import router
from services.publicity.delivery import push_forever, release_embargoed_forever
from services.publicity.domain import Rule
from services.publicity.metrics import install_metrics
from services.publicity.models import metadata
from shared.app import create_app
from shared.events import PUBLICITY_EVENTS
from shared.settings import Settings

SERVICE = "publicity"


def build(settings: Settings | None = None):
    app = create_app(
        SERVICE,
        metadata,
        routers=[router],
        publishes=PUBLICITY_EVENTS,
        background=[release_embargoed_forever, push_forever],
        settings=settings,
        rules=Rule,
        description="Editorial review, publishing per channel, and information bulletins.",
    )
    install_metrics(app.state.runtime)
    return app
