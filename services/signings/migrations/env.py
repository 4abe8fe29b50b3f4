"""Alembic environment of the signings service (its own migration history)."""

from services.signings.models import metadata
from shared.migrations import run_env

run_env(metadata)
