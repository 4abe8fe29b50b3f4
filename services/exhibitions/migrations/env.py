"""Alembic environment of the exhibitions service (its own migration history)."""

from services.exhibitions.models import metadata
from shared.migrations import run_env

run_env(metadata)
