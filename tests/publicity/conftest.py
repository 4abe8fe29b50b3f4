"""The publicity service as its tests use it: real database, real NATS, and a real receiver
standing in for the outdoor screen's system (a push channel)."""

import pytest

from shared.webhooks import new_secret
from tests.publicity.flow import settings_for
from tests.publicity.receiver import Receiver
from tests.support import running_service


@pytest.fixture
def screen(monkeypatch):
    secret = new_secret()
    with Receiver(secret) as receiver:
        monkeypatch.setenv("EXPO_CHANNEL_OUTDOOR_SCREEN_URL", receiver.url)
        monkeypatch.setenv("EXPO_CHANNEL_OUTDOOR_SCREEN_SECRET", secret)
        yield receiver


@pytest.fixture
async def publicity(nats_server, databases, tmp_path, screen):
    async with running_service("publicity", settings_for(nats_server, tmp_path)) as svc:
        yield svc
