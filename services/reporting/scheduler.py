"""The reporting scheduler: on every tick (and whenever the clock is set) it finds overdue
tasks, missing reports and their escalations, and issues the morning briefing. Everything it
says is recorded, so each thing is said once, also across restarts and replicas."""

import asyncio
import logging
import weakref
from datetime import datetime

from services.reporting import briefing, tasks, written_reports
from shared.aio import cancel_requested
from shared.edition import Edition
from shared.runtime import Runtime
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)


_ticking: "weakref.WeakKeyDictionary[Runtime, asyncio.Lock]" = weakref.WeakKeyDictionary()


def ticks(runtime: Runtime) -> asyncio.Lock:
    """Held while the scheduler looks at the time. Ticks of one process take turns (the
    background loop and a clock set over HTTP); other replicas are kept from saying a thing
    twice by the primary keys. Taken before any unit of work, never inside one."""
    return _ticking.setdefault(runtime, asyncio.Lock())


async def tick(runtime: Runtime) -> dict[str, int]:
    """One look at the time, in a transaction of its own."""
    async with ticks(runtime):
        async with runtime.unit_of_work() as uow:
            said = await look(uow, runtime.edition, runtime.clock.now())
            await uow.commit()
        return said


async def look(uow: UnitOfWork, edition: Edition, now: datetime) -> dict[str, int]:
    """What is due at `now`, said in `uow` (the caller holds `ticks` and commits)."""
    return {
        "tasks_overdue": await tasks.flag_overdue(uow, edition, now),
        "report_alerts": await written_reports.raise_alerts(uow, edition, now),
        "briefings": int(await briefing.issue_if_due(uow, edition, now)),
    }


async def schedule_forever(runtime: Runtime) -> None:
    while not cancel_requested():
        try:
            said = await tick(runtime)
            if any(said.values()):
                log.info("scheduler: %s", said)
        except Exception:
            log.exception("scheduler tick failed; retrying")
        await asyncio.sleep(runtime.settings.background_poll_interval)
