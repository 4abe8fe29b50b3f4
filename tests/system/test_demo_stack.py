"""`make run` as a newcomer meets it: the five services as processes, the demo preparation
entered through their APIs, and reporting and the bus telling the same story as the demo file.

The expectations are computed from the demo file itself, so editing the demo keeps this test
meaningful instead of breaking it.
"""

import asyncio
import json
import shutil
from asyncio.subprocess import PIPE
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from shared.demo import demo_file, read_demo
from shared.settings import REPO_ROOT, Settings
from tests.support import eventually, stream_messages
from tests.system.test_stack_run import ExpoRun, bearer, user_env

# Its own group, beside the other system tests: its stack takes free ports (EXPO_PORT_BASE=0),
# so it never holds the usual ones that test_stack_run checks are released.
pytestmark = [pytest.mark.system, pytest.mark.xdist_group("demo-stack")]

READY_TIMEOUT = 180.0  # the services start, then the demo is entered request by request
FREE_PORTS = {"EXPO_PORT_BASE": "0"}
EDITION = Settings().edition_file
DEMO = read_demo(demo_file(EDITION))
COUNTY_OF_UNIT = {u["key"]: u["county"] for u in DEMO["units"]}


def expected_county_figures() -> dict[str, dict]:
    figures: dict[str, dict] = defaultdict(
        lambda: {"units": 0, "achievements": Counter(), "signings": Counter(), "published": 0}
    )
    for unit in DEMO["units"]:
        figures[unit["county"]]["units"] += 1
    for achievement in DEMO["achievements"]:
        figures[COUNTY_OF_UNIT[achievement["unit"]]]["achievements"][achievement["status"]] += 1
    for project in DEMO["projects"]:
        figures[project["county"]]["signings"][project["stage"]] += 1
    for item in DEMO["items"]:
        if item["status"] == "published" and item["author"].startswith("county:"):
            figures[item["author"].removeprefix("county:")]["published"] += 1
    for hall in DEMO["halls"]:
        if county := hall.get("county"):
            figures[county]["hall_stage"] = hall["stage"]
            figures[county]["booths"] = len(hall["booths"])
            approved = figures[county]["achievements"]["approved"]
            figures[county]["assigned"] = approved if hall.get("allocate") else 0
    return figures


def demo_line(run: ExpoRun) -> str:
    return next(line for line in run.lines if line.startswith("Demo preparation"))


def check_every_record_was_entered(run: ExpoRun) -> None:
    line = demo_line(run)
    assert "entered" in line and "not entered" not in line, line
    for kind, records in [
        ("units", "units"),
        ("achievements", "achievements"),
        ("halls", "halls"),
        ("signing projects", "projects"),
        ("publicity items", "items"),
        ("bulletins", "bulletins"),
        ("tasks", "tasks"),
        ("written reports", "reports"),
        ("release sessions", "releases"),
    ]:
        assert f"{len(DEMO[records])} {kind}" in line, line


async def check_each_county_in_reporting(run: ExpoRun) -> None:
    reporting, _port = run.services["reporting"]
    committee = bearer(run.tokens["committee"])
    expected = expected_county_figures()

    async with httpx.AsyncClient(timeout=10) as http:

        async def status_matches():
            counties = (await http.get(f"{reporting}/api/v1/status", headers=committee)).json()[
                "counties"
            ]
            return all(
                counties[county]["units"] == want["units"]
                and counties[county]["achievements"] == dict(want["achievements"])
                and {s: v["count"] for s, v in counties[county]["signings"].items()}
                == dict(want["signings"])
                and counties[county]["publicity_published"] == want["published"]
                and counties[county]["hall"]["stage"] == want.get("hall_stage")
                and counties[county]["booths"]
                == {"total": want.get("booths", 0), "assigned": want.get("assigned", 0)}
                for county, want in expected.items()
            )

        await eventually(status_matches, timeout=30, what="reporting's status matches the demo")

        amounts = Counter()
        for project in DEMO["projects"]:
            amounts[project["county"]] += project["amount"]
        counties = (await http.get(f"{reporting}/api/v1/status", headers=committee)).json()[
            "counties"
        ]
        for county, amount in amounts.items():
            assert sum(s["amount_cny"] for s in counties[county]["signings"].values()) == amount


async def check_reports_tasks_and_briefing(run: ExpoRun) -> None:
    reporting, _port = run.services["reporting"]
    committee = bearer(run.tokens["committee"])
    async with httpx.AsyncClient(timeout=10) as http:
        clock = (await http.get(f"{reporting}/api/v1/clock", headers=committee)).json()
        now = datetime.fromisoformat(clock["now"])
        matrix = (await http.get(f"{reporting}/api/v1/reports/matrix", headers=committee)).json()
        standing = {
            (row["reporter"], cell["period"]): cell["standing"]
            for row in matrix["items"]
            for cell in row["cells"]
        }
        filed = {(r["reporter"], r["period"]) for r in DEMO["reports"]}
        last_week, this_week = "W2020-07-20", "W2020-07-27"
        reporters = {reporter for reporter, _period in standing}
        for reporter in reporters:
            if (reporter, last_week) in filed:
                assert standing[reporter, last_week] == "late", reporter
            else:
                assert standing[reporter, last_week] == "missing", reporter
            if (reporter, this_week) in filed:
                assert standing[reporter, this_week] == "on_time", reporter
        assert {"late", "missing", "on_time"} <= set(standing.values())

        late_tasks = {
            t["title"]
            for t in DEMO["tasks"]
            if t["deadline"] < now and not any(u[0] == "done" for u in t["updates"])
        }
        assert late_tasks, "the demo should have overdue tasks"

        async def overdue_listed():
            overdue = (await http.get(f"{reporting}/api/v1/overdue", headers=committee)).json()
            return {t["title"] for t in overdue["tasks"]} == late_tasks

        await eventually(overdue_listed, timeout=15, what=f"overdue tasks are {late_tasks}")

        today = now.astimezone(Settings().edition.zone).date()
        briefing = await http.get(
            f"{reporting}/api/v1/briefings/{today}",
            params={"format": "markdown"},
            headers=committee,
        )
        assert briefing.status_code == 200, briefing.text
        assert all(title in briefing.text for title in late_tasks)


EXPECTED_ON_THE_BUS = {
    "expo.registration.unit.registered": len(DEMO["units"]),
    "expo.registration.achievement.drafted": len(DEMO["achievements"]),
    "expo.registration.achievement.approved": sum(
        a["status"] == "approved" for a in DEMO["achievements"]
    ),
    "expo.exhibitions.hall.created": len(DEMO["halls"]),
    "expo.signings.project.proposed": len(DEMO["projects"]),
    "expo.signings.project.signed": sum(p["stage"] == "signed" for p in DEMO["projects"]),
    # One per channel the item appeared on (manual channels: as recorded by the editors).
    "expo.publicity.item.published": sum(len(i.get("publications", {})) for i in DEMO["items"]),
    "expo.publicity.bulletin.submitted": len(DEMO["bulletins"]),
    "expo.reporting.task.created_v2": len(DEMO["tasks"]),
    "expo.reporting.report.submitted": len(DEMO["reports"]),
}


async def events_by_type(nats_url: str) -> tuple[Counter, list[str]]:
    types, ids = Counter(), []
    for service in ("registration", "exhibitions", "signings", "publicity", "reporting"):
        for message in await stream_messages(nats_url, f"expo.{service}.>"):
            event = json.loads(message.data)
            types[event["type"]] += 1
            ids.append(event["id"])
    return types, ids


async def check_the_bus(run: ExpoRun) -> None:
    nats_url, _port = run.nats

    async def all_published() -> bool:
        types, _ids = await events_by_type(nats_url)
        return all(types[event_type] >= count for event_type, count in EXPECTED_ON_THE_BUS.items())

    # What reporting showed came over the bus, but its own events (tasks, written reports) and
    # those it does not count (bulletins submitted) go out with each relay a moment later.
    await eventually(all_published, timeout=30, what="every event of the demo on the bus")
    types, ids = await events_by_type(nats_url)
    assert len(ids) == len(set(ids)), "an event id appears twice on the bus"
    for event_type, count in EXPECTED_ON_THE_BUS.items():
        assert types[event_type] == count, event_type


def readme_tour() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    block = readme.split("<!-- tour:start -->")[1].split("<!-- tour:end -->")[0]
    return block.split("```sh\n")[1].split("```")[0]


async def check_the_readme_tour(run: ExpoRun, var: Path) -> None:
    """After the bus check: the tour approves an achievement."""
    script = readme_tour().replace(". var/demo.env", f". {var}/demo.env")
    shell = await asyncio.create_subprocess_exec(
        "bash", "-c", "set -euo pipefail\n" + script, cwd=REPO_ROOT, stdout=PIPE, stderr=PIPE
    )
    stdout, stderr = await asyncio.wait_for(shell.communicate(), timeout=60)
    assert shell.returncode == 0, stderr.decode()
    out = stdout.decode()
    status_lines = [line for line in out.splitlines() if line.startswith('{"county":"kongtong"')]
    assert len(status_lines) == 2, out  # before and after the approval
    approved_before = json.loads(status_lines[0])["achievements"]["approved"]
    assert "# 日调度简报" in out and "expo_readiness_rag{" in out and "expo_tasks_overdue{" in out

    reporting, _port = run.services["reporting"]
    committee = bearer(run.tokens["committee"])
    async with httpx.AsyncClient(timeout=10) as http:

        async def counted():
            status = await http.get(f"{reporting}/api/v1/status/kongtong", headers=committee)
            return status.json()["achievements"]["approved"] == approved_before + 1

        await eventually(counted, timeout=15, what="the tour's approval counted by reporting")


async def test_make_run_enters_the_demo_and_every_service_tells_the_same_story(tmp_path):
    """One story in order: a stack takes a while to start and fill, and the checks build on
    each other (the tour changes the data; the second run must find everything entered)."""
    run = ExpoRun(user_env(tmp_path, demo=True) | FREE_PORTS, new_session=True)
    try:
        run.wait_ready(READY_TIMEOUT)
        check_every_record_was_entered(run)
        await check_each_county_in_reporting(run)
        await check_reports_tasks_and_briefing(run)
        await check_the_bus(run)
        if shutil.which("curl"):  # the README's tour uses curl
            await check_the_readme_tour(run, tmp_path)
        types_before, _ids = await events_by_type(run.nats[0])
    finally:
        run.stop()

    again = ExpoRun(user_env(tmp_path, demo=True) | FREE_PORTS, new_session=True)
    try:
        again.wait_ready(READY_TIMEOUT)
        assert "already entered, nothing added" in demo_line(again), demo_line(again)
        types_after, ids = await events_by_type(again.nats[0])
    finally:
        again.stop()
    # Events the scheduler emits by itself (overdue, briefings) may follow the clock; the
    # demo's own events must not have doubled.
    for event_type in EXPECTED_ON_THE_BUS:
        assert types_after[event_type] == types_before[event_type], event_type
    assert len(ids) == len(set(ids))
