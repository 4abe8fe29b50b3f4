"""People's names stay in reporting's own database: the task events name the person
responsible by an opaque id, an escalation names a role (never the edition's group leader),
and an erasure takes the name out of everything reporting keeps and shows, while the events
stay valid. Streams holding the retired task events, names and all, are still read, and
reporting upgraded over them is rebuilt as before."""

import asyncio
import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from shared.db import UtcDateTime
from shared.edition import load_edition
from shared.events import UnitRegistered, event_class, event_types
from shared.events.reporting import REPORTING_EVENTS, TaskCreated, TaskOverdue, TaskUpdated
from shared.migrations import alembic_config, upgrade, upgrade_async
from shared.settings import REPO_ROOT
from shared.streams import ensure_stream, service_stream
from tests.reporting.rehearsal import (
    COMMITTEE,
    before_the_dispatch,
    move_clock,
    reporting_events,
    task_body,
)
from tests.support import (
    eventually,
    running_service,
    service_settings,
    stream_messages,
    token,
)

pytestmark = [pytest.mark.db, pytest.mark.finding(9)]  # names in the permanent event log

RESPONSIBLE = "展览展示组 刘工"
EXHIBITION = token("group:exhibition")
ERASE = "/api/v1/responsibles/{}/erase"
# Leaders and deputies as a real edition may write them: people's names.
PEOPLE = ["刘建国", "陈志强", "王秀英", "张卫东", "李海燕", "赵明", "孙丽", "周强", "吴敏", "郑磊"]


def edition_naming_its_leaders(folder: Path) -> tuple[Path, list[str]]:
    """The Pingliang edition with every group's leader and deputies written as names."""
    text = (REPO_ROOT / "deploy/editions/pingliang-2020.toml").read_text(encoding="utf-8")
    used: list[str] = []

    def a_name(_match) -> str:
        used.append(PEOPLE[len(used)])
        return f'"{used[-1]}"'

    text = re.sub(r'"[a-z]+-(leader|deputy)"', a_name, text)
    path = folder / "named-leaders.toml"
    path.write_text(text, encoding="utf-8")
    edition = load_edition(path)
    assert {g.leader for g in edition.working_groups} < set(used)  # deputies are named too
    return path, used


def mentions(text: str, name: str) -> bool:
    """As written, or as JSON writes it with ASCII escapes."""
    return name in text or json.dumps(name)[1:-1] in text


async def every_message(nats_url: str) -> list:
    """Every message of every stream on the server, dead letters included."""
    nc = await nats.connect(nats_url)
    try:
        streams = await nc.jetstream().streams_info()
    finally:
        await nc.close()
    found = []
    for stream in streams:
        for subject in stream.config.subjects or ():
            found += await stream_messages(nats_url, subject)
    return found


async def rows_mentioning(svc, name: str) -> list[str]:
    """Every row of every table of the service's database in which the name appears."""
    found = []
    async with svc.runtime.sessions() as session:
        for table in svc.runtime.metadata.sorted_tables:
            for row in await session.execute(sa.select(table)):
                cells = " | ".join(str(value) for value in row)
                if mentions(cells, name):
                    found.append(f"{table.name}: {cells[:300]}")
    return found


async def erasure_said(nats_url: str) -> bool:
    """The erasure is the last change: once its event is out, every earlier one is."""
    return bool(await reporting_events(nats_url, "responsible.erased"))


async def test_no_name_of_a_person_reaches_the_bus(nats_server, databases, tmp_path):
    edition_file, leaders = edition_naming_its_leaders(tmp_path)
    async with before_the_dispatch(
        nats_server.url, tmp_path, edition_file=edition_file
    ) as reporting:
        client = reporting.client
        created = await client.post(
            "/api/v1/tasks", json=task_body(responsible=RESPONSIBLE), headers=EXHIBITION
        )
        assert created.status_code == 201, created.text
        task = created.json()
        assert task["responsible"] == RESPONSIBLE  # shown to those who may read the task
        blocked = {"status": "blocked", "progress": 40, "blocked_reason": "消防检查排期未定"}
        updated = await client.post(
            f"/api/v1/tasks/{task['id']}/updates", json=blocked, headers=EXHIBITION
        )
        assert updated.status_code == 200, updated.text
        # The task past its deadline; last week's reports missing for three days, so escalated
        # to every level; the day's briefing issued.
        said = await move_clock(reporting, "2020-07-29T19:00")
        assert said["tasks_overdue"] == 1 and said["briefings"] == 1, said
        erased = await client.post(ERASE.format(task["responsible_id"]), headers=EXHIBITION)
        assert erased.status_code == 200, erased.text
        await eventually(lambda: erasure_said(nats_server.url), what="every event on the bus")

    messages = await every_message(nats_server.url)
    for name in [RESPONSIBLE, "刘工", *leaders]:
        for message in messages:
            assert not mentions(message.data.decode(), name), (name, message.subject)
            assert not any(mentions(f"{k}: {v}", name) for k, v in message.headers.items())

    events = [event_class(m.subject).model_validate_json(m.data) for m in messages]
    said_types = {e.type for e in events}
    assert {
        "expo.reporting.task.created_v2",
        "expo.reporting.task.updated_v2",
        "expo.reporting.task.overdue_v2",
        "expo.reporting.report.escalated",
        "expo.reporting.briefing.issued",
        "expo.reporting.responsible.erased",
    } <= said_types
    assert [t for t in said_types if event_class(t).REPLACED_BY] == []  # retired: never said
    about_the_task = [e for e in events if e.type.startswith("expo.reporting.task.")]
    assert {str(e.data.responsible_id) for e in about_the_task} == {task["responsible_id"]}
    reporters = load_edition(edition_file).reporter_ids
    escalated_to = {e.data.escalated_to for e in events if e.type.endswith(".escalated")}
    assert escalated_to == {f"leader of {r}" for r in reporters} | {
        "group:coordination",
        "leading group",
    }


async def test_an_erasure_leaves_the_name_nowhere_in_reporting(nats_server, databases, tmp_path):
    async with before_the_dispatch(nats_server.url, tmp_path) as reporting:
        client = reporting.client
        keyed = {**EXHIBITION, "Idempotency-Key": "task-hall-layout"}
        body = task_body(responsible=RESPONSIBLE)
        first = (await client.post("/api/v1/tasks", json=body, headers=keyed)).json()
        second = await client.post(
            "/api/v1/tasks",
            json=task_body(title="展位分配", responsible=RESPONSIBLE),
            headers=EXHIBITION,
        )
        person = first["responsible_id"]
        assert second.json()["responsible_id"] == person  # the same name in the group: one person
        await client.post(
            f"/api/v1/tasks/{first['id']}/updates",
            json={"status": "in_progress", "progress": 30, "note": "布展方案已提交"},
            headers=EXHIBITION,
        )
        await move_clock(reporting, "2020-07-26T08:00")  # both late; the day's briefing issued
        shown = await client.get("/api/v1/briefings/2020-07-26?format=markdown", headers=COMMITTEE)
        assert shown.text.count(f"— {RESPONSIBLE}, due") == 2
        assert await rows_mentioning(reporting, RESPONSIBLE) != []

        erased = await client.post(ERASE.format(person), headers=EXHIBITION)
        assert erased.status_code == 200, erased.text
        assert erased.json() | {"erased_at": None} == {
            "id": person,
            "group": "exhibition",
            "name": None,
            "erased_at": None,
            "erased_by": "group:exhibition",
        }

        assert await rows_mentioning(reporting, RESPONSIBLE) == []
        for task in (first, second.json()):
            now = (await client.get(f"/api/v1/tasks/{task['id']}", headers=COMMITTEE)).json()
            assert now["responsible"] is None and now["responsible_id"] == person
        late = (await client.get("/api/v1/overdue", headers=COMMITTEE)).json()
        assert [t["responsible"] for t in late["tasks"]] == [None, None]
        for form in ("markdown", "html"):
            briefing = await client.get(
                f"/api/v1/briefings/2020-07-26?format={form}", headers=COMMITTEE
            )
            assert not mentions(briefing.text, RESPONSIBLE)
            assert briefing.text.count("已删除 erased") == 2, briefing.text
        replayed = await client.post("/api/v1/tasks", json=body, headers=keyed)
        assert replayed.headers["Idempotent-Replayed"] == "true"
        assert replayed.json()["responsible"] is None and replayed.json()["id"] == first["id"]

        await eventually(lambda: erasure_said(nats_server.url), what="the erasure on the bus")
    [said] = await reporting_events(nats_server.url, "responsible.erased")
    assert said["data"] == {
        "responsible_id": person,
        "group": "exhibition",
        "task_ids": sorted([first["id"], second.json()["id"]]),
    }
    for message in await stream_messages(nats_server.url, "expo.reporting.>"):
        event_class(message.subject).model_validate_json(message.data)  # every event still valid


async def test_an_erasure_is_for_the_group_that_named_the_person_and_happens_once(
    nats_server, databases, tmp_path
):
    async with before_the_dispatch(nats_server.url, tmp_path) as reporting:
        client = reporting.client

        async def new_task(group: str) -> dict:
            answer = await client.post(
                "/api/v1/tasks",
                json=task_body(group=group, responsible=RESPONSIBLE),
                headers=token(f"group:{group}"),
            )
            assert answer.status_code == 201, answer.text
            return answer.json()

        ours, theirs = await new_task("exhibition"), await new_task("logistics")
        person = ours["responsible_id"]
        assert theirs["responsible_id"] != person  # the same name in another group: another person

        refused = await client.post(ERASE.format(person), headers=token("group:logistics"))
        assert refused.status_code == 403, refused.text
        unknown = await client.post(ERASE.format(uuid.uuid4()), headers=COMMITTEE)
        assert (
            unknown.status_code == 404 and unknown.json()["errors"][0]["field"] == "responsible_id"
        )
        shown = await client.get(f"/api/v1/tasks/{ours['id']}", headers=COMMITTEE)
        assert shown.json()["responsible"] == RESPONSIBLE  # refusals changed nothing

        assert (await client.post(ERASE.format(person), headers=COMMITTEE)).status_code == 200
        again = await client.post(ERASE.format(person), headers=EXHIBITION)
        assert again.status_code == 409 and again.json()["rule"] == "already_erased", again.text
        kept = await client.get(f"/api/v1/tasks/{theirs['id']}", headers=COMMITTEE)
        assert kept.json()["responsible"] == RESPONSIBLE
        named_again = await new_task("exhibition")  # an erased person is not found by name
        assert named_again["responsible_id"] not in (person, theirs["responsible_id"])
        assert named_again["responsible"] == RESPONSIBLE


def test_each_retired_type_names_its_successor_and_is_marked_deprecated():
    retired = [e for e in REPORTING_EVENTS if e.REPLACED_BY is not None]
    assert {e.TYPE for e in retired} == {
        "expo.reporting.task.created",
        "expo.reporting.task.updated",
        "expo.reporting.task.overdue",
    }
    for event in retired:
        assert event_types()[event.REPLACED_BY].REPLACED_BY is None
        assert event.REPLACED_BY == f"{event.TYPE}_v2"
        assert event.model_json_schema()["deprecated"] is True
        assert event.meaning().startswith("**Retired**")


# Reporting as the version before left it: its tasks with names, their events in its stream ----

_tasks_0004 = sa.table(
    "tasks",
    *(sa.column(c) for c in ("id", "group", "title", "responsible", "quality_standard")),
    *(sa.column(c) for c in ("status", "progress", "blocked_reason", "version")),
    *(sa.column(c, UtcDateTime) for c in ("deadline", "overdue_at", "created_at", "updated_at")),
    sa.column("created_by"),
    sa.column("updated_by"),
)


def _old_task(group: str, title: str, responsible: str) -> dict:
    at = datetime(2020, 7, 20, 2, 0, tzinfo=UTC)
    return {
        "id": str(uuid.uuid4()),
        "group": group,
        "title": title,
        "responsible": responsible,
        "quality_standard": "经组委会审定",
        "status": "not_started",
        "progress": 0,
        "blocked_reason": None,
        "version": 1,
        "deadline": datetime(2020, 7, 25, 10, 0, tzinfo=UTC),
        "overdue_at": None,
        "created_at": at,
        "updated_at": at,
        "created_by": f"{group}-leader",
        "updated_by": f"{group}-leader",
    }


async def _as_the_version_before(url: str, backend: str, rows: list[dict]) -> None:
    """The database at schema 0004 (PostgreSQL's test databases start at the latest)."""
    if backend == "postgresql":
        await asyncio.to_thread(command.downgrade, alembic_config("reporting", url), "0004")
    else:
        await asyncio.to_thread(upgrade, "reporting", url, "0004")
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.begin() as conn:
        await conn.execute(sa.insert(_tasks_0004), rows)
    await engine.dispose()


async def _publish(nats_url: str, events: list) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for service in ("registration", "reporting"):
            await ensure_stream(js, service_stream(service))
        for event in events:
            stream = service_stream(event.service).name
            await js.publish(event.subject, event.to_json(), headers=event.headers(), stream=stream)
    finally:
        await nc.close()


def _retired_event(kind, row: dict):
    data = {k: row[k] for k in ("group", "title", "responsible", "deadline", "status")}
    data |= {"task_id": row["id"], "progress": row["progress"], "blocked_reason": None}
    return kind(edition="pingliang-2020", actor=row["created_by"], data=data)


async def test_reporting_upgraded_over_the_retired_events_reads_and_rebuilds_them(
    nats_server, databases, tmp_path
):
    from shared.rebuild import rebuild

    settings = service_settings(nats_server.url, var_dir=tmp_path)
    url = settings.database_url("reporting")
    rows = [
        _old_task("exhibition", "展厅布展", RESPONSIBLE),
        _old_task("exhibition", "展位分配", RESPONSIBLE),
        _old_task("logistics", "电力增容", "后勤保障组 张处长"),
    ]
    try:
        await _as_the_version_before(url, databases, rows)
        unit = UnitRegistered.model_validate(UnitRegistered.example() | {"id": str(uuid.uuid4())})
        retired = [_retired_event(kind, rows[0]) for kind in (TaskCreated, TaskUpdated)]
        retired += [_retired_event(TaskCreated, r) for r in rows[1:]]
        retired.append(_retired_event(TaskOverdue, rows[2]))
        await _publish(nats_server.url, [unit, *retired])

        await upgrade_async("reporting", url)
        await rebuild("reporting", settings)

        held = await stream_messages(nats_server.url, "expo.reporting.>")
        read = [event_class(m.subject).model_validate_json(m.data) for m in held]
        assert [e.id for e in read] == [e.id for e in retired]  # each still read as it was said
        assert {e.data.responsible for e in read} == {RESPONSIBLE, "后勤保障组 张处长"}
        async with running_service("reporting", settings) as reporting:
            client = reporting.client
            units = await client.get("/api/v1/status/units", headers=COMMITTEE)
            assert units.json()[unit.data.county] == 1  # the rebuild replayed the streams
            shown = [
                (await client.get(f"/api/v1/tasks/{r['id']}", headers=COMMITTEE)).json()
                for r in rows
            ]
            assert [t["responsible"] for t in shown] == [r["responsible"] for r in rows]
            people = [t["responsible_id"] for t in shown]
            assert people[0] == people[1] != people[2]  # one id per name and group
            moved = await client.post(
                f"/api/v1/tasks/{rows[0]['id']}/updates",
                json={"status": "in_progress", "progress": 20},
                headers=EXHIBITION,
            )
            assert moved.status_code == 200, moved.text

            async def said_by_id() -> bool:
                return bool(await reporting_events(nats_server.url, "task.updated_v2"))

            await eventually(said_by_id, what="the update said under the new type")
        [update] = await reporting_events(nats_server.url, "task.updated_v2")
        assert update["data"]["responsible_id"] == people[0]
        assert not mentions(json.dumps(update), RESPONSIBLE)

        # Back to 0004 (names into the tasks again), then forward: what 0005 did, undone.
        await asyncio.to_thread(command.downgrade, alembic_config("reporting", url), "0004")
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:
            names = dict(
                (await conn.execute(sa.select(_tasks_0004.c.id, _tasks_0004.c.responsible))).all()
            )
        await engine.dispose()
        assert names == {r["id"]: r["responsible"] for r in rows}
    finally:
        await upgrade_async("reporting", url)  # the next test finds its database as it expects
