"""The edition: reference data every service reads (counties, working groups, key dates).

Nothing about one city or year lives in code; it lives in a file under deploy/editions/.
"""

import tomllib
from datetime import date, datetime, time
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CODE_PATTERN = r"^[a-z][a-z0-9_-]{1,31}$"


class County(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str = Field(pattern=CODE_PATTERN)
    name: str


class WorkingGroup(BaseModel):  # 工作组
    model_config = ConfigDict(frozen=True)
    code: str = Field(pattern=CODE_PATTERN)
    name: str
    # Who leads the group and deputises, as the edition's organisers write them: a person's
    # name or a principal id. Reference for people; never put into an event (an escalation to
    # the leader says "leader of group:<code>").
    leader: str
    deputies: tuple[str, ...] = ()


class KeyDates(BaseModel):
    model_config = ConfigDict(frozen=True)
    dispatch_start: date  # daily dispatch meetings start (日调度)
    weekly_reports_until: date  # last day of weekly written reports
    daily_reports_from: date  # first day of daily written reports
    registration_freeze: date
    launch_day: date

    @model_validator(mode="after")
    def _in_order(self) -> "KeyDates":
        if self.daily_reports_from <= self.weekly_reports_until:
            raise ValueError("daily_reports_from must come after weekly_reports_until")
        if not (self.dispatch_start <= self.weekly_reports_until):
            raise ValueError("dispatch_start must not come after weekly_reports_until")
        if self.launch_day < self.daily_reports_from or self.launch_day < self.registration_freeze:
            raise ValueError("launch_day must come after the report cut-over and the freeze")
        return self


class Responsibilities(BaseModel):
    """Which working group does what (the committee can always do everything)."""

    model_config = ConfigDict(frozen=True)
    achievement_review: str  # reviews registered achievements (成果征集)
    exhibitions: str  # halls, booths and release sessions (展览展示)
    signings: str  # the signing pipeline and the ceremony running order (项目签约)
    publicity: str  # editorial review (宣传报道)
    coordination: str  # dispatch, reports and escalation (综合协调)


class Channel(BaseModel):
    """A publicity channel. With a `url` it is pushed to (signed webhooks); without, a person
    records where the item appeared. EXPO_CHANNEL_<CODE>_URL / _SECRET override per deployment."""

    model_config = ConfigDict(frozen=True)
    code: str = Field(pattern=CODE_PATTERN)
    name: str
    url: str | None = None
    secret_env: str | None = None  # the environment variable holding its whsec_ secret


class Activity(BaseModel):
    """A key activity publicity must cover (the launch ceremony, a county hall...)."""

    model_config = ConfigDict(frozen=True)
    code: str = Field(pattern=CODE_PATTERN)
    name: str
    day: date | None = None


class Publicity(BaseModel):
    model_config = ConfigDict(frozen=True)
    channels: tuple[Channel, ...] = Field(min_length=1)
    activities: tuple[Activity, ...] = Field(min_length=1)


READINESS_PARTS = ("hall_stage", "booths_filled", "achievements_approved", "signings_agreed")


class Readiness(BaseModel):
    """How reporting scores a county's readiness (docs/readiness.md says what each part means)."""

    model_config = ConfigDict(frozen=True)
    weights: dict[str, float]
    green: float = Field(default=0.8, ge=0, le=1)  # score at or above: green
    amber: float = Field(default=0.5, ge=0, le=1)  # at or above: amber; below: red

    @model_validator(mode="after")
    def _sane(self) -> "Readiness":
        unknown = sorted(set(self.weights) - set(READINESS_PARTS))
        if unknown:
            raise ValueError(f"unknown readiness parts: {', '.join(unknown)}")
        if any(w < 0 for w in self.weights.values()) or not sum(self.weights.values()):
            raise ValueError("readiness weights must be positive and not all zero")
        if self.amber > self.green:
            raise ValueError("readiness amber must not exceed green")
        return self


class Reports(BaseModel):
    """Written reports (书面反馈报告) and the daily briefing: when things are due."""

    model_config = ConfigDict(frozen=True)
    due_time: time = time(18, 0)  # local time on a period's last day
    escalation_hours: tuple[float, float, float] = (
        24,
        48,
        72,
    )  # after the due time: levels 2, 3, 4
    briefing_time: time = time(7, 30)  # the dispatch briefing is issued each morning at this time
    stale_signing_days: int = Field(
        default=14, ge=1
    )  # an open project this long in one stage is late
    halls_ready_days: int = Field(
        default=7, ge=0
    )  # halls not ready this close to the launch are late


ROLE_KINDS = ("committee", "group", "county", "ops", "integrator")


class Access(BaseModel):
    """Which kinds of principal may read what (writes are decided by each service's rules)."""

    model_config = ConfigDict(frozen=True)
    exhibitions_read: tuple[str, ...] = ROLE_KINDS  # the floor plan and the stage schedule

    @field_validator("exhibitions_read")
    @classmethod
    def _known_kinds(cls, kinds: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(kinds) - set(ROLE_KINDS))
        if unknown:
            raise ValueError(f"unknown role kinds: {', '.join(unknown)}")
        return kinds


class Edition(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str = Field(pattern=CODE_PATTERN)
    name: str
    name_en: str = ""
    time_zone: str
    dates: KeyDates
    counties: tuple[County, ...] = Field(min_length=1)
    working_groups: tuple[WorkingGroup, ...] = Field(min_length=1)
    responsibilities: Responsibilities
    access: Access = Access()
    publicity: Publicity
    readiness: Readiness
    reports: Reports = Reports()
    # The day `make run` pretends it is, so a past edition can be tried from the inside.
    demo_today: date | None = None

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _unique_codes(self) -> "Edition":
        for label, codes in (
            ("county", [c.code for c in self.counties]),
            ("working group", [g.code for g in self.working_groups]),
            ("publicity channel", [c.code for c in self.publicity.channels]),
            ("publicity activity", [a.code for a in self.publicity.activities]),
        ):
            duplicates = sorted({c for c in codes if codes.count(c) > 1})
            if duplicates:
                raise ValueError(f"duplicate {label} codes: {', '.join(duplicates)}")
        groups = {g.code for g in self.working_groups}
        for duty, group in self.responsibilities.model_dump().items():
            if group not in groups:
                raise ValueError(f"responsibilities.{duty}: unknown working group {group!r}")
        return self

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @cached_property
    def county_codes(self) -> frozenset[str]:
        return frozenset(c.code for c in self.counties)

    @cached_property
    def group_codes(self) -> frozenset[str]:
        return frozenset(g.code for g in self.working_groups)

    @cached_property
    def reporter_ids(self) -> tuple[str, ...]:
        """Who files written reports: every county and every working group."""
        return tuple(
            [f"county:{c.code}" for c in self.counties]
            + [f"group:{g.code}" for g in self.working_groups]
        )

    @cached_property
    def code_sets(self) -> dict[str, tuple[str, ...]]:
        """The closed sets a request field or parameter of this name takes (for OpenAPI)."""
        channels = tuple(c.code for c in self.publicity.channels)
        return {
            "county": tuple(c.code for c in self.counties),
            "group": tuple(g.code for g in self.working_groups),
            "reporter": self.reporter_ids,
            "channel": channels,
            "channels": channels,
            "activity": tuple(a.code for a in self.publicity.activities),
        }

    def county(self, code: str) -> County | None:
        return next((c for c in self.counties if c.code == code), None)

    def local_date(self, moment: datetime) -> date:
        """Which day it is in the edition's time zone (dates of the cadence, the freeze...)."""
        return moment.astimezone(self.zone).date()

    def registration_frozen(self, moment: datetime) -> bool:
        """From the freeze date on (local time), only the committee changes registrations."""
        return self.local_date(moment) >= self.dates.registration_freeze


def load_edition(path: Path | str) -> Edition:
    with open(path, "rb") as fh:
        return Edition.model_validate(tomllib.load(fh))
