"""Request and answer building blocks every service's API shares.

Requests parse strictly: a time is an ISO 8601 string with an offset, a day is `YYYY-MM-DD`,
and a number is never read as a time, an id or money (pydantic's lax mode would take
`12345` as a Unix time). Every time a service answers is UTC, written with `Z`.
"""

import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

# Blanks, named one by one: what Python's str.strip() drops and what JSON Schema's `\s`
# means differ (U+0085 is one for Python only, U+FEFF for JSON Schema only), so both the
# trimming and the documented pattern use this one list.
BLANKS = (
    "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_BLANK_CLASS = "".join(f"\\u{ord(c):04x}" for c in BLANKS)
# Text a person typed: no NUL character (PostgreSQL cannot hold one), and something besides
# blanks (leading and trailing blanks are dropped).
TEXT_PATTERN = rf"^[^\u0000]*[^{_BLANK_CLASS}\u0000][^\u0000]*$"
NO_NUL_PATTERN = r"^[^\u0000]*$"


def _trim(value: Any) -> Any:
    return value.strip(BLANKS) if isinstance(value, str) else value


def text(max_length: int, *, min_length: int = 1) -> Any:
    """A text field of at most `max_length` characters, trimmed; blank only when min_length=0."""
    return Annotated[
        str,
        StringConstraints(
            min_length=min_length,
            max_length=max_length,
            pattern=TEXT_PATTERN if min_length else NO_NUL_PATTERN,
        ),
        BeforeValidator(_trim),  # listed last, it runs first: the limits apply to the trimmed text
    ]


def matching(pattern: str) -> Any:
    """Text that, once trimmed, matches `pattern` (anchored `^...$`): a code, a phone number.
    The documented pattern allows the blanks around it that the service trims away."""
    core = pattern.removeprefix("^").removesuffix("$")
    padded = f"^[{_BLANK_CLASS}]*(?:{core})[{_BLANK_CLASS}]*$"
    return Annotated[str, StringConstraints(pattern=padded), BeforeValidator(_trim)]


def _whole_number(value: Any) -> Any:
    # JSON has one kind of number: 314.0 is the integer 314 (JSON Schema agrees), but 1.5,
    # "314" and true are not integers.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number (a JSON integer)")
    return value


def whole_number(**limits: Any) -> Any:
    """An integer in a request: a JSON number without a fraction, never a string or a boolean;
    `limits` are Field's (gt, le, description...), placed so that the document shows them."""
    return Annotated[StrictInt, Field(**limits), BeforeValidator(_whole_number)]


WholeNumber = whole_number()


if TYPE_CHECKING:  # to a type checker they are text; to pydantic, text with its rules
    Text100: TypeAlias = str
    Text200: TypeAlias = str
    Reason: TypeAlias = str
else:
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


class Patch(Strict):
    """A PATCH body: a field left out keeps its value; null is refused (it would blank it).

    Its OpenAPI schema says so too: the optional fields are not nullable there.
    """

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, value in data.items():
                if value is None:
                    raise ValueError(f"{name}: cannot be null; leave it out to keep it")
        return data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        schema = handler.resolve_ref_schema(handler(core_schema))
        for prop in schema.get("properties", {}).values():
            options = [o for o in prop.get("anyOf", []) if o != {"type": "null"}]
            if "anyOf" in prop and len(options) == 1:
                del prop["anyOf"]
                prop.update(options[0])
            if prop.get("default", ...) is None:
                del prop["default"]
        return schema


class ReasonIn(Strict):
    reason: Reason
