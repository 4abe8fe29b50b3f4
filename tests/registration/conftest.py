"""The registration service as the API tests use it: real database, real NATS."""

from datetime import date

import pytest

from shared.clock import offset_to
from tests.support import running_service, service_settings


@pytest.fixture
async def registration(nats_server, databases, tmp_path):
    async with running_service(
        "registration", service_settings(nats_server.url, var_dir=tmp_path)
    ) as svc:
        yield svc


@pytest.fixture
async def frozen_registration(nats_server, databases, tmp_path):
    """The service as seen after the registration freeze (2020-08-20)."""
    settings = service_settings(
        nats_server.url, var_dir=tmp_path, clock_offset_days=offset_to(date(2020, 8, 25))
    )
    async with running_service("registration", settings) as svc:
        yield svc
