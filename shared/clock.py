"""Business time. Real time in production; shifted for the demo (`make run` starts inside the
edition's preparation period) and settable in tests, so weeks can be simulated in seconds."""

from datetime import UTC, date, datetime, timedelta


class Clock:
    def __init__(self, offset_days: int = 0) -> None:
        self._offset = timedelta(days=offset_days)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def set(self, moment: datetime) -> None:
        """From now on, time runs on from `moment` (never in production: see the API)."""
        if moment.tzinfo is None:
            raise ValueError("the clock is set to an aware datetime")
        self._offset = moment - datetime.now(UTC)


def offset_to(target: date, today: date | None = None) -> int:
    """Days to add to real time so that today reads as `target`."""
    return (target - (today or datetime.now(UTC).date())).days
