"""Alembic environment of the registration service (its own migration history)."""

from services.registration.models import metadata
from shared.migrations import run_env

run_env(metadata)
