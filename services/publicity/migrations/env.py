"""Alembic environment of the publicity service (its own migration history)."""

from services.publicity.models import metadata
from shared.migrations import run_env

run_env(metadata)
