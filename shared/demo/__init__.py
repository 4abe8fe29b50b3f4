"""The demo preparation: `expo run` enters `<edition>.demo.toml` through the services' HTTP APIs.

Going through the APIs (not the databases) means the demo obeys every rule a county office
meets, and every change is a real event that the other services and reporting consume. Each
request carries an Idempotency-Key derived from the record's key, so entering the file again
replays the stored answers: a second `make run` adds nothing, and one interrupted half-way
finishes the rest.
"""

import asyncio
import tomllib
from pathlib import Path

import httpx

from shared.demo import exhibitions, publicity, registration, reporting, signings
from shared.demo.client import DemoClient, DemoError, Tally
from shared.edition import Edition

__all__ = ["DemoError", "Tally", "demo_file", "describe", "load_demo", "read_demo"]


def demo_file(edition_file: Path) -> Path | None:
    """`pingliang-2020.toml` has its demo in `pingliang-2020.demo.toml`, when there is one."""
    candidate = edition_file.with_name(f"{edition_file.stem}.demo.toml")
    return candidate if candidate.is_file() else None


def read_demo(path: Path) -> dict:
    return tomllib.loads(path.read_text())


async def load_demo(data: dict, urls: dict[str, str], edition: Edition, secret: str) -> Tally:
    """One chain of requests per owning service, side by side; exhibitions places achievements
    once registration has approved them (and its own replica has heard so)."""
    async with httpx.AsyncClient(timeout=30.0) as http:
        demo = DemoClient(http, urls, edition, secret)
        registered = asyncio.Event()

        async def registration_then_signal() -> None:
            await registration.enter(demo, data)
            registered.set()

        await asyncio.gather(
            registration_then_signal(),
            exhibitions.enter(demo, data, registered),
            signings.enter(demo, data),
            publicity.enter(demo, data),
            reporting.enter(demo, data),
        )
        await reporting.reissue_todays_briefing(demo)
        return demo.tally


def describe(tally: Tally) -> str:
    if not tally.changes:
        return f"already entered, nothing added ({tally.replayed} requests replayed)"
    made = ", ".join(f"{n} {kind}" for kind, n in sorted(tally.entered.items()))
    return f"entered {made or 'the rest'} ({tally.changes} changes, {tally.replayed} replayed)"
