"""Working-group tasks: a responsible person, a deadline, a quality standard, progress; found
overdue on time by the scheduler, and said once. The person responsible is a row of
`responsibles`, named in events by id only (responsibles.py)."""

import uuid
from datetime import datetime

from sqlalchemy import Select, and_, insert, not_, select, update

from services.reporting.models import responsibles, task_updates, tasks
from services.reporting.schemas import TaskIn, TaskOut, TaskStatus, TaskUpdateIn, TaskUpdateOut
from shared.api import Page, PageRequest, paginate
from shared.auth import Principal
from shared.db import dialect_insert
from shared.edition import Edition
from shared.events.reporting import TaskCreatedV2, TaskDataV2, TaskOverdueV2, TaskUpdatedV2
from shared.problems import Conflict, Forbidden, InvalidInput, NotFound
from shared.uow import UnitOfWork


def check_may_manage(principal: Principal, edition: Edition, group: str) -> None:
    """A group manages its own tasks; the committee and the coordination group all."""
    if principal.is_committee or principal.group in (group, edition.responsibilities.coordination):
        return
    raise Forbidden(f"{principal.role} may not manage tasks of group:{group}")


def check_may_read(principal: Principal) -> None:
    if not (principal.is_committee or principal.group or principal.role == "ops"):
        raise Forbidden(f"{principal.role} may not read working-group tasks")


async def create(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, data: TaskIn
) -> TaskOut:
    if data.group not in edition.group_codes:
        raise InvalidInput(f"unknown working group {data.group!r}", field="group")
    check_may_manage(principal, edition, data.group)
    person = await _person_named(uow, data.group, data.responsible)
    row = data.model_dump(exclude={"responsible"}) | {
        "id": str(uuid.uuid4()),
        "responsible_id": person,
        "status": TaskStatus.NOT_STARTED.value,
        "progress": 0,
        "blocked_reason": None,
        "overdue_at": None,
        "version": 1,
        "created_at": now,
        "created_by": principal.id,
        "updated_at": now,
        "updated_by": principal.id,
    }
    await uow.session.execute(insert(tasks).values(row))
    uow.emit(
        TaskCreatedV2(edition=edition.code, actor=principal.id, occurred_at=now, data=_data(row))
    )
    return _out(row | {"responsible": data.responsible}, now)


async def _person_named(uow: UnitOfWork, group: str, name: str) -> str:
    """The id of the person `group` calls `name` (responsibles.py), recorded now if new. An
    erased person's row has no name any more: the same name given again is a new person."""
    query = select(responsibles.c.id).where(
        responsibles.c.group == group, responsibles.c.name == name
    )
    found = await uow.session.scalar(query)
    if found is None:
        # A request naming the same new person at the same moment may insert first: keep its row.
        new = dialect_insert(uow.session, responsibles).values(
            id=str(uuid.uuid4()), group=group, name=name
        )
        await uow.session.execute(new.on_conflict_do_nothing(index_elements=["group", "name"]))
        found = await uow.session.scalar(query)
    return found


async def record_update(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    task_id: uuid.UUID,
    data: TaskUpdateIn,
) -> TaskOut:
    current = await _load(uow, task_id)
    check_may_manage(principal, edition, current["group"])
    # TaskUpdateIn's schema (its allOf) says these two rules too: the two must agree.
    if data.status is TaskStatus.BLOCKED and not data.blocked_reason:
        raise InvalidInput("a blocked task says why", field="blocked_reason")
    if data.status is TaskStatus.DONE and data.progress != 100:
        raise InvalidInput("a done task is at 100%", field="progress")
    values = {
        "status": data.status.value,
        "progress": data.progress,
        "blocked_reason": data.blocked_reason if data.status is TaskStatus.BLOCKED else None,
        "version": current["version"] + 1,
        "updated_at": now,
        "updated_by": principal.id,
    }
    result = await uow.session.execute(
        update(tasks)
        .where(tasks.c.id == current["id"], tasks.c.version == current["version"])
        .values(values)
    )
    if result.rowcount != 1:
        raise Conflict("the task changed meanwhile; reload it and try again")
    row = current | values
    await uow.session.execute(
        insert(task_updates).values(
            task_id=row["id"],
            status=row["status"],
            progress=row["progress"],
            note=data.note,
            actor=principal.id,
            at=now,
        )
    )
    uow.emit(
        TaskUpdatedV2(edition=edition.code, actor=principal.id, occurred_at=now, data=_data(row))
    )
    return _out(row, now)


async def flag_overdue(uow: UnitOfWork, edition: Edition, now: datetime) -> int:
    """Tasks past their deadline and not done, not flagged yet: flag them and say so, once."""
    due = (
        await uow.session.execute(
            select(tasks).where(
                tasks.c.deadline < now,
                tasks.c.status != TaskStatus.DONE.value,
                tasks.c.overdue_at.is_(None),
            )
        )
    ).all()
    for found in due:
        row = found._asdict() | {"overdue_at": now}
        await uow.session.execute(
            update(tasks)
            .where(tasks.c.id == row["id"], tasks.c.overdue_at.is_(None))
            .values(overdue_at=now)
        )
        uow.emit(
            TaskOverdueV2(
                edition=edition.code, actor="system:scheduler", occurred_at=now, data=_data(row)
            )
        )
    return len(due)


async def list_tasks(
    uow: UnitOfWork,
    now: datetime,
    principal: Principal,
    paging: PageRequest,
    group: str | None,
    overdue: bool | None,
) -> Page[TaskOut]:
    check_may_read(principal)
    query = _tasks_query(now, group, overdue)
    return await paginate(
        uow.session, query, paging, lambda row: _out(row, now), tasks.c.deadline, tasks.c.id
    )


async def query_tasks(
    uow: UnitOfWork, now: datetime, group: str | None = None, overdue: bool | None = None
) -> list[TaskOut]:
    """Every task that matches, by deadline (for the briefing, /overdue and the metrics)."""
    query = _tasks_query(now, group, overdue).order_by(tasks.c.deadline, tasks.c.id)
    return [_out(r._asdict(), now) for r in await uow.session.execute(query)]


def _with_names() -> Select:
    """Tasks as the API shows them: with the responsible person's name (None once erased)."""
    return select(tasks, responsibles.c.name.label("responsible")).join(
        responsibles, responsibles.c.id == tasks.c.responsible_id
    )


def _tasks_query(now: datetime, group: str | None, overdue: bool | None) -> Select:
    query = _with_names()
    if group is not None:
        query = query.where(tasks.c.group == group)
    late = and_(tasks.c.status != TaskStatus.DONE.value, tasks.c.deadline < now)  # is_overdue
    if overdue is not None:
        query = query.where(late if overdue else not_(late))
    return query


async def show(uow: UnitOfWork, now: datetime, principal: Principal, task_id: uuid.UUID) -> TaskOut:
    check_may_read(principal)
    return _out(await _load(uow, task_id), now)


async def history(
    uow: UnitOfWork, principal: Principal, paging: PageRequest, task_id: uuid.UUID
) -> Page[TaskUpdateOut]:
    """Every update of the task, oldest first."""
    check_may_read(principal)
    row = await _load(uow, task_id)
    query = select(task_updates).where(task_updates.c.task_id == row["id"])
    return await paginate(
        uow.session, query, paging, TaskUpdateOut.model_validate, task_updates.c.seq
    )


async def _load(uow: UnitOfWork, task_id) -> dict:
    row = (await uow.session.execute(_with_names().where(tasks.c.id == str(task_id)))).first()
    if row is None:
        raise NotFound(f"no task {task_id}", field="task_id")
    return row._asdict()


def is_overdue(row: dict, now: datetime) -> bool:
    return row["status"] != TaskStatus.DONE.value and row["deadline"] < now


def _out(row: dict, now: datetime) -> TaskOut:
    return TaskOut.model_validate(row | {"overdue": is_overdue(row, now)})


def _data(row: dict) -> TaskDataV2:
    """What the events say of a task: the person responsible by id, never by name."""
    return TaskDataV2(
        task_id=row["id"],
        group=row["group"],
        title=row["title"],
        responsible_id=row["responsible_id"],
        deadline=row["deadline"],
        status=row["status"],
        progress=row["progress"],
        blocked_reason=row["blocked_reason"],
    )
