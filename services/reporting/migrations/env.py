"""Alembic environment of the reporting service (its own migration history)."""

from services.reporting.models import metadata
from shared.migrations import run_env

run_env(metadata)
