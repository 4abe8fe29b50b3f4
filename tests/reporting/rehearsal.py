"""What the dispatch tests share: reporting started before the dispatch begins, its clock moved
over HTTP (in the edition's local time), and the events it published."""

import json
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from shared.clock import offset_to
from tests.support import running_service, service_settings, stream_messages, token

LOCAL = ZoneInfo("Asia/Shanghai")
COMMITTEE = token("committee")


def at(local: str) -> str:
    """A local time of the edition (`2020-08-20T07:31`) as ISO 8601 with its offset."""
    return datetime.fromisoformat(local).replace(tzinfo=LOCAL).isoformat()


@asynccontextmanager
async def before_the_dispatch(nats_url: str, var_dir: Path, **settings_overrides):
    """Reporting whose clock stands at 2020-07-15 09:00, before the dispatch starts, so nothing
    is due until a test moves the clock on."""
    settings = service_settings(
        nats_url,
        var_dir=var_dir,
        clock_offset_days=offset_to(date(2020, 7, 15)),
        **settings_overrides,
    )
    async with running_service("reporting", settings) as svc:
        await move_clock(svc, "2020-07-15T09:00")
        yield svc


async def move_clock(svc, local: str) -> dict:
    """Set business time; what the scheduler said at once."""
    answer = await svc.client.put("/api/v1/clock", json={"now": at(local)}, headers=COMMITTEE)
    assert answer.status_code == 200, answer.text
    return answer.json()["said"]


async def reporting_events(nats_url: str, kind: str) -> list[dict]:
    return [json.loads(m.data) for m in await stream_messages(nats_url, f"expo.reporting.{kind}")]


def task_body(group: str = "exhibition", deadline: str = "2020-07-25T18:00", **overrides) -> dict:
    return {
        "group": group,
        "title": "展厅布展方案定稿",
        "responsible": "李工",
        "deadline": at(deadline),
        "quality_standard": "经组委会审定",
    } | overrides
