"""The signings service as its API tests use it: real database, real NATS."""

import pytest

from tests.support import running_service, service_settings


@pytest.fixture
async def signings(nats_server, databases, tmp_path):
    async with running_service(
        "signings", service_settings(nats_server.url, var_dir=tmp_path)
    ) as svc:
        yield svc
