"""Placing approved achievements in booths: by hand, by a confirmed plan, and freeing booths."""

import json
import uuid
from datetime import datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from services.exhibitions import allocation
from services.exhibitions.domain import (
    BoothSpace,
    Exhibit,
    ExhibitStatus,
    Rule,
    assignment_problem,
    check_may_list_exhibits,
    check_may_manage,
    check_may_read,
)
from services.exhibitions.halls import load_hall
from services.exhibitions.models import allocation_plans, booths, exhibits, halls
from services.exhibitions.schemas import (
    AssignmentIn,
    BoothOut,
    ExhibitOut,
    Placement,
    PlanIn,
    PlanOut,
    Unplaced,
)
from shared.api import Page, PageRequest, paginate
from shared.auth import Principal
from shared.edition import Edition
from shared.events.exhibitions import (
    BoothAssigned,
    BoothAssignmentData,
    BoothReleased,
    BoothReleasedData,
)
from shared.problems import Conflict, Forbidden, NotFound, RuleViolated
from shared.uow import UnitOfWork

BOOTH_WITH_HALL = select(booths, halls.c.county.label("hall_county")).join(
    halls, halls.c.id == booths.c.hall_id
)


async def assign(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    booth_id: uuid.UUID,
    data: AssignmentIn,
) -> BoothOut:
    booth = await _load_booth(uow, booth_id)
    check_may_manage(principal, edition, booth["hall_county"])
    if data.override and not principal.is_committee:
        raise Forbidden("only the committee may override the county rule", field="override")
    exhibit = await _load_exhibit(uow, data.achievement_id)
    if booth["achievement_id"] is not None:
        raise RuleViolated(
            f"booth {booth['code']} is taken", field="booth_id", rule=Rule.BOOTH_TAKEN
        )
    placed = await uow.session.scalar(
        select(booths.c.code).where(booths.c.achievement_id == exhibit.achievement_id)
    )
    if placed is not None:
        raise RuleViolated(
            f"the achievement is already in booth {placed}; release it first",
            field="achievement_id",
            rule=Rule.ALREADY_ASSIGNED,
        )
    problem = assignment_problem(exhibit, _space(booth))
    if problem is not None and not (problem[0] is Rule.OTHER_COUNTY and data.override):
        rule, why = problem
        raise RuleViolated(why, field="achievement_id", rule=rule)
    note = data.note if data.override and problem is not None else None
    return await _place(uow, edition, now, principal, booth, exhibit, override_note=note)


async def release(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    booth_id: uuid.UUID,
    reason: str,
) -> BoothOut:
    booth = await _load_booth(uow, booth_id)
    check_may_manage(principal, edition, booth["hall_county"])
    if booth["achievement_id"] is None:
        raise RuleViolated(
            f"booth {booth['code']} is already free", field="booth_id", rule=Rule.BOOTH_FREE
        )
    return await free_booth(
        uow, edition.code, now, principal.id, booth, f"released_by_hand: {reason}"
    )


async def release_for_exhibit(
    uow: UnitOfWork, edition: str, now: datetime, actor: str, achievement_id: str, reason: str
) -> None:
    """Called when registration says an achievement left approval for good."""
    found = (
        await uow.session.execute(BOOTH_WITH_HALL.where(booths.c.achievement_id == achievement_id))
    ).first()
    if found is not None:
        await free_booth(uow, edition, now, actor, found._asdict(), reason)


async def free_booth(
    uow: UnitOfWork, edition: str, now: datetime, actor: str, booth: dict, reason: str
) -> BoothOut:
    exhibit = await _load_exhibit(uow, booth["achievement_id"])
    await uow.session.execute(
        update(booths)
        .where(booths.c.id == booth["id"])
        .values(achievement_id=None, assigned_at=None, assigned_by=None, override_note=None)
    )
    data = BoothReleasedData(**_assignment(booth, exhibit).model_dump(), reason=reason)
    uow.emit(BoothReleased(edition=edition, actor=actor, occurred_at=now, data=data))
    return BoothOut.model_validate(
        booth
        | {"achievement_id": None, "assigned_at": None, "assigned_by": None, "override_note": None}
    )


async def propose_plan(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, data: PlanIn
) -> PlanOut:
    free_query = BOOTH_WITH_HALL.where(booths.c.achievement_id.is_(None))
    exhibit_query = select(exhibits).where(
        exhibits.c.status == ExhibitStatus.APPROVED.value,
        exhibits.c.achievement_id.not_in(
            select(booths.c.achievement_id).where(booths.c.achievement_id.is_not(None))
        ),
    )
    if data.hall_id is not None:
        hall = await load_hall(uow, data.hall_id)
        check_may_manage(principal, edition, hall["county"])
        free_query = free_query.where(booths.c.hall_id == hall["id"])
        if hall["county"]:
            exhibit_query = exhibit_query.where(exhibits.c.county == hall["county"])
    else:
        check_may_manage(principal, edition, None)
    free = [_space(r._asdict()) for r in await uow.session.execute(free_query)]
    candidates = [_exhibit(r._asdict()) for r in await uow.session.execute(exhibit_query)]
    plan = allocation.propose(candidates, free)
    codes = dict(
        (r.id, r.code)
        for r in await uow.session.execute(
            select(booths.c.id, booths.c.code).where(
                booths.c.id.in_([b.booth_id for _e, b in plan.placements])
            )
        )
    )
    row = {
        "id": str(uuid.uuid4()),
        "hall_id": str(data.hall_id) if data.hall_id else None,
        "placements": json.dumps(
            [
                Placement(
                    achievement_id=e.achievement_id,
                    title=e.title,
                    booth_id=b.booth_id,
                    booth_code=codes[b.booth_id],
                    hall_id=b.hall_id,
                ).model_dump(mode="json")
                for e, b in plan.placements
            ],
            ensure_ascii=False,
        ),
        "unplaced": json.dumps(
            [
                Unplaced(achievement_id=e.achievement_id, title=e.title, reason=why).model_dump(
                    mode="json"
                )
                for e, why in plan.unplaced
            ],
            ensure_ascii=False,
        ),
        "created_at": now,
        "created_by": principal.id,
        "confirmed_at": None,
        "confirmed_by": None,
    }
    await uow.session.execute(insert(allocation_plans).values(row))
    return _plan_out(row)


async def confirm_plan(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, plan_id: uuid.UUID
) -> PlanOut:
    """Applies the whole plan or nothing: if the floor changed since, propose again."""
    row = await _load_plan(uow, plan_id)
    hall = await load_hall(uow, row["hall_id"]) if row["hall_id"] else None
    check_may_manage(principal, edition, hall["county"] if hall else None)
    if row["confirmed_at"] is not None:
        raise RuleViolated("this plan was already applied", field="plan_id", rule=Rule.PLAN_APPLIED)
    wanted = {p["booth_id"]: p["achievement_id"] for p in json.loads(row["placements"])}
    # Lock the booths (PostgreSQL) so nothing is placed in them between the check and the write.
    locked = await uow.session.execute(
        BOOTH_WITH_HALL.where(booths.c.id.in_(wanted)).with_for_update(of=booths)
    )
    booth_rows = {r.id: r._asdict() for r in locked}
    found = await uow.session.execute(
        select(exhibits).where(exhibits.c.achievement_id.in_(wanted.values()))
    )
    exhibit_of = {r.achievement_id: _exhibit(r._asdict()) for r in found}
    placed = set(
        await uow.session.scalars(
            select(booths.c.achievement_id).where(booths.c.achievement_id.in_(wanted.values()))
        )
    )
    for booth_id, achievement_id in wanted.items():
        booth, exhibit = booth_rows.get(booth_id), exhibit_of.get(achievement_id)
        if (
            booth is None
            or exhibit is None
            or booth["achievement_id"] is not None
            or achievement_id in placed
            or assignment_problem(exhibit, _space(booth)) is not None
        ):
            raise RuleViolated(
                "the floor changed since this plan was proposed; propose a new one",
                field="plan_id",
                rule=Rule.STALE_PLAN,
            )
    try:
        for booth_id, achievement_id in wanted.items():
            booth, exhibit = booth_rows[booth_id], exhibit_of[achievement_id]
            await _place(uow, edition, now, principal, booth, exhibit)
    except RuleViolated:  # placed meanwhile by a request the checks above could not see yet
        raise RuleViolated(
            "the floor changed since this plan was proposed; propose a new one",
            field="plan_id",
            rule=Rule.STALE_PLAN,
        ) from None
    row |= {"confirmed_at": now, "confirmed_by": principal.id}
    await uow.session.execute(
        update(allocation_plans)
        .where(allocation_plans.c.id == row["id"])
        .values(confirmed_at=now, confirmed_by=principal.id)
    )
    return _plan_out(row)


async def show_plan(
    uow: UnitOfWork, edition: Edition, principal: Principal, plan_id: uuid.UUID
) -> PlanOut:
    check_may_read(principal, edition)
    return _plan_out(await _load_plan(uow, plan_id))


async def list_exhibits(
    uow: UnitOfWork,
    edition: Edition,
    principal: Principal,
    county: str | None,
    status: ExhibitStatus | None,
    unassigned: bool,
    paging: PageRequest,
) -> Page[ExhibitOut]:
    check_may_read(principal, edition)
    check_may_list_exhibits(principal, county, status)
    query = select(exhibits, booths.c.id.label("booth_id")).outerjoin(
        booths, booths.c.achievement_id == exhibits.c.achievement_id
    )
    if principal.county is not None:  # its own county's in any status, others' once approved
        query = query.where(
            or_(
                exhibits.c.county == principal.county,
                exhibits.c.status == ExhibitStatus.APPROVED.value,
            )
        )
    if county:
        query = query.where(exhibits.c.county == county)
    if status:
        query = query.where(exhibits.c.status == status.value)
    if unassigned:
        query = query.where(booths.c.id.is_(None))
    return await paginate(
        uow.session,
        query,
        paging,
        ExhibitOut.model_validate,
        exhibits.c.county,
        exhibits.c.title,
        exhibits.c.achievement_id,
    )


async def _place(
    uow, edition, now, principal, booth: dict, exhibit: Exhibit, override_note: str | None = None
) -> BoothOut:
    try:
        result = await uow.session.execute(
            update(booths)
            .where(booths.c.id == booth["id"], booths.c.achievement_id.is_(None))
            .values(
                achievement_id=exhibit.achievement_id,
                assigned_at=now,
                assigned_by=principal.id,
                override_note=override_note,
            )
        )
    except IntegrityError:  # placed in another booth by a request committed meanwhile
        raise RuleViolated(
            "the achievement was placed in another booth meanwhile; release it first",
            field="achievement_id",
            rule=Rule.ALREADY_ASSIGNED,
        ) from None
    if result.rowcount != 1:
        raise Conflict(
            f"booth {booth['code']} was taken meanwhile", field="booth_id", rule=Rule.BOOTH_TAKEN
        )
    booth = booth | {
        "achievement_id": exhibit.achievement_id,
        "assigned_at": now,
        "assigned_by": principal.id,
        "override_note": override_note,
    }
    data = _assignment(booth, exhibit)
    uow.emit(BoothAssigned(edition=edition.code, actor=principal.id, occurred_at=now, data=data))
    return BoothOut.model_validate(booth)


def _assignment(booth: dict, exhibit: Exhibit) -> BoothAssignmentData:
    return BoothAssignmentData(
        booth_id=booth["id"],
        hall_id=booth["hall_id"],
        code=booth["code"],
        county=booth["hall_county"],
        area_m2=booth["area_m2"],
        power_kw=booth["power_kw"],
        achievement_id=exhibit.achievement_id,
        achievement_county=exhibit.county,
        title=exhibit.title,
        override=booth["override_note"] is not None,
        note=booth["override_note"],
    )


async def _load_booth(uow: UnitOfWork, booth_id) -> dict:
    row = (await uow.session.execute(BOOTH_WITH_HALL.where(booths.c.id == str(booth_id)))).first()
    if row is None:
        raise NotFound(f"no booth {booth_id}", field="booth_id")
    return row._asdict()


async def _load_exhibit(uow: UnitOfWork, achievement_id) -> Exhibit:
    """The achievement as exhibitions' replica knows it; one it never heard of is a 404."""
    row = (
        await uow.session.execute(
            select(exhibits).where(exhibits.c.achievement_id == str(achievement_id))
        )
    ).first()
    if row is None:
        raise NotFound(
            f"no achievement {achievement_id} is known to exhibitions (from registration's events)",
            field="achievement_id",
        )
    return _exhibit(row._asdict())


async def _load_plan(uow: UnitOfWork, plan_id) -> dict:
    row = (
        await uow.session.execute(
            select(allocation_plans).where(allocation_plans.c.id == str(plan_id))
        )
    ).first()
    if row is None:
        raise NotFound(f"no allocation plan {plan_id}", field="plan_id")
    return row._asdict()


def _exhibit(row: dict) -> Exhibit:
    return Exhibit(
        row["achievement_id"],
        row["county"],
        row["title"],
        row["status"],
        row["floor_area_m2"],
        row["power_kw"],
    )


def _space(row: dict) -> BoothSpace:
    return BoothSpace(
        row["id"], row["hall_id"], row["hall_county"], row["area_m2"], row["power_kw"]
    )


def _plan_out(row: dict) -> PlanOut:
    return PlanOut.model_validate(
        row | {"placements": json.loads(row["placements"]), "unplaced": json.loads(row["unplaced"])}
    )
