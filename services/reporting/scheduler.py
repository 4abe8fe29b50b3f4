"""The reporting scheduler: on every tick (and whenever the clock is set) it finds overdue
tasks, missing reports and their escalations, and issues the morning briefing. Everything it
says is recorded, so each thing is said once, also across restarts and replicas."""

import asyncio
import logging
import weakref

from services.reporting import briefing, tasks, written_reports
from shared.aio import cancel_requested
from shared.runtime import Runtime

log = logging.getLogger(__name__)


_ticking: "weakref.WeakKeyDictionary[Runtime, asyncio.Lock]" = weakref.WeakKeyDictionary()


async def tick(runtime: Runtime) -> dict[str, int]:
    """One look at the time. Ticks of one process take turns (the background loop and a clock
    set over HTTP); other replicas are kept from saying a thing twice by the primary keys."""
    lock = _ticking.setdefault(runtime, asyncio.Lock())
    async with lock:
        return await _tick(runtime)


async def move_clock(runtime: Runtime, moment) -> dict[str, int]:
    """Set business time and look at once, without another tick slipping in between."""
    async with _ticking.setdefault(runtime, asyncio.Lock()):
        runtime.clock.set(moment)
        return await _tick(runtime)


async def _tick(runtime: Runtime) -> dict[str, int]:
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        said = {
            "tasks_overdue": await tasks.flag_overdue(uow, runtime.edition, now),
            "report_alerts": await written_reports.raise_alerts(uow, runtime.edition, now),
            "briefings": int(await briefing.issue_if_due(uow, runtime.edition, now)),
        }
        await uow.commit()
    return said


async def schedule_forever(runtime: Runtime) -> None:
    while not cancel_requested():
        try:
            said = await tick(runtime)
            if any(said.values()):
                log.info("scheduler: %s", said)
        except Exception:
            log.exception("scheduler tick failed; retrying")
        await asyncio.sleep(runtime.settings.background_poll_interval)
