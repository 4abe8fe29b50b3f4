"""Request and answer building blocks every service's API shares.

Requests parse strictly: a time is an ISO 8601 string with an offset, a day is `YYYY-MM-DD`,
and a number is never read as a time, an id or money (pydantic's lax mode would take
`12345` as a Unix time). Every time a service answers is UTC, written with `Z`.
"""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

# Text a person typed: no NUL character (PostgreSQL cannot hold one), and something besides
# blanks (leading and trailing blanks are dropped).
TEXT_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"
NO_NUL_PATTERN = r"^[^\x00]*$"


def text(max_length: int, *, min_length: int = 1) -> Any:
    """A text field of at most `max_length` characters, trimmed; blank only when min_length=0."""
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True,
            min_length=min_length,
            max_length=max_length,
            pattern=TEXT_PATTERN if min_length else NO_NUL_PATTERN,
        ),
    ]


Text100 = text(100)
Text200 = text(200)
Reason = text(1000)

ISO_INSTANT = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$"
)
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_string(pattern: re.Pattern[str], what: str):
    def check(value: Any) -> Any:
        if isinstance(value, str) and pattern.match(value):
            return value
        raise ValueError(f"must be {what}")

    return check


def to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


INSTANT_WORDS = "an ISO 8601 date-time string with an offset, e.g. 2020-08-16T09:00:00+08:00"

Instant = Annotated[datetime, AfterValidator(to_utc)]
"""A time in an answer: always UTC, written with `Z`."""

InstantIn = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_string(ISO_INSTANT, INSTANT_WORDS)),
    AfterValidator(to_utc),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A time in a request: an ISO 8601 string with an offset, kept as UTC."""

DayIn = Annotated[
    date,
    BeforeValidator(_iso_string(ISO_DAY, "a date string YYYY-MM-DD")),
    WithJsonSchema({"type": "string", "format": "date"}),
]
"""A calendar day in a request (the edition's local day): `YYYY-MM-DD`, nothing else."""


class Strict(BaseModel):
    """A request body: unknown fields are refused, naming them, rather than ignored."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        # PostgreSQL cannot store text holding a NUL character: refuse it here, naming the
        # field, rather than fail in the database with a 500.
        if isinstance(data, dict):
            for name, value in data.items():
                if _holds_nul(value):
                    raise ValueError(f"{name}: must not contain the NUL character")
        return data


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    return False


class ReasonIn(Strict):
    reason: Reason
