"""Erasing the people tasks name as responsible (责任人), whose names reporting keeps in its
own database and nowhere else.

A group names a person when it creates a task; the same name in the same group is the same
person, with one opaque id, which the task events carry instead of the name (tasks.py
records them). An erasure (the person asked to be forgotten) blanks the name in
`responsibles`, in the briefings already issued and in the answers kept for Idempotency-Key
replays, and tells integrators which tasks it concerns (`expo.reporting.responsible.erased`):
the retired task events they may have read carried the name.
"""

import json
import uuid
from datetime import datetime

from sqlalchemy import select, update

from services.reporting import briefing
from services.reporting.domain import Rule
from services.reporting.models import metadata, responsibles, tasks
from services.reporting.schemas import ResponsibleOut
from services.reporting.tasks import check_may_manage
from shared.auth import Principal
from shared.edition import Edition
from shared.events.reporting import ResponsibleErased, ResponsibleErasedData
from shared.problems import Conflict, NotFound, RuleViolated
from shared.uow import UnitOfWork

kept_answers = metadata.tables["idempotency_keys"]


async def erase(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, person_id: uuid.UUID
) -> ResponsibleOut:
    """Forget a person's name; who may manage the group's tasks may."""
    row = (
        await uow.session.execute(select(responsibles).where(responsibles.c.id == str(person_id)))
    ).first()
    if row is None:
        raise NotFound(f"no responsible person {person_id}", field="responsible_id")
    check_may_manage(principal, edition, row.group)
    if row.name is None:
        raise RuleViolated(
            f"the name of {person_id} is already erased",
            rule=Rule.ALREADY_ERASED,
            field="responsible_id",
        )
    result = await uow.session.execute(
        update(responsibles)
        .where(responsibles.c.id == row.id, responsibles.c.name.is_not(None))
        .values(name=None, erased_at=now, erased_by=principal.id)
    )
    if result.rowcount != 1:
        raise Conflict("the person was erased meanwhile")
    await briefing.redact(uow, row.group, row.name)
    await _forget_kept_answers(uow, row.id, row.group, row.name)
    their_tasks = await uow.session.scalars(
        select(tasks.c.id).where(tasks.c.responsible_id == row.id).order_by(tasks.c.id)
    )
    uow.emit(
        ResponsibleErased(
            edition=edition.code,
            actor=principal.id,
            occurred_at=now,
            data=ResponsibleErasedData(
                responsible_id=row.id, group=row.group, task_ids=list(their_tasks)
            ),
        )
    )
    return ResponsibleOut(
        id=row.id, group=row.group, name=None, erased_at=now, erased_by=principal.id
    )


async def _forget_kept_answers(uow: UnitOfWork, person_id: str, group: str, name: str) -> None:
    """Task answers kept for Idempotency-Key replays show the name: blank it there too. Those
    kept before people had ids name the person only (same group, same name)."""
    kept = await uow.session.execute(
        select(kept_answers.c.principal, kept_answers.c.key, kept_answers.c.body).where(
            kept_answers.c.body.like('%"responsible"%')
        )
    )
    for owner, key, text in kept:
        body = json.loads(text)
        if not isinstance(body, dict) or body.get("group") != group:
            continue
        if body.get("responsible_id", person_id) != person_id or body.get("responsible") != name:
            continue
        body["responsible"] = None
        await uow.session.execute(
            update(kept_answers)
            .where(kept_answers.c.principal == owner, kept_answers.c.key == key)
            .values(body=json.dumps(body))
        )
