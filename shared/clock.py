"""Business time. Real time in production; `make run` shifts it by whole days so the demo
edition (2020) is seen from inside its preparation period (EXPO_CLOCK_OFFSET_DAYS)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta


@dataclass(frozen=True)
class Clock:
    offset_days: int = 0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(days=self.offset_days)


def offset_to(target: date, today: date | None = None) -> int:
    """Days to add to real time so that today reads as `target`."""
    return (target - (today or datetime.now(UTC).date())).days
