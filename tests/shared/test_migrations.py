"""Each service's migration history builds exactly the schema its models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from shared.launcher import installed_services
from shared.migrations import upgrade_async
from shared.settings import Settings

pytestmark = pytest.mark.db


@pytest.mark.parametrize("service", installed_services())
async def test_migrations_match_the_models_and_can_run_twice(service, databases):
    import importlib

    url = Settings().database_url(service)
    await upgrade_async(service, url)
    await upgrade_async(service, url)  # already at head: nothing to do, no error
    metadata = importlib.import_module(f"services.{service}.models").metadata
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
        )
    await engine.dispose()
    assert diff == []
