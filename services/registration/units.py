"""Unit use cases: load, decide, write, emit. The caller commits the unit of work."""

import uuid
from datetime import datetime

from sqlalchemy import insert, select, update

from services.registration.domain import (
    Rule,
    check_may_change,
    check_may_read,
    may_read_all,
    normalise_name,
)
from services.registration.models import units
from services.registration.schemas import UnitIn, UnitKind, UnitOut, UnitPatch
from shared.api import Page, PageRequest, paginate
from shared.auth import Principal
from shared.edition import Edition
from shared.events import UnitRegistered, UnitRegisteredData, UnitUpdated, UnitUpdatedData
from shared.problems import Conflict, Forbidden, NotFound
from shared.uow import UnitOfWork


async def _check_name_free(uow: UnitOfWork, county: str, name: str, except_id: str = "") -> None:
    taken = await uow.session.scalar(
        select(units.c.id).where(
            units.c.county == county, units.c.name == name, units.c.id != except_id
        )
    )
    if taken is not None:
        raise Conflict(
            f"county {county} already has a unit named {name!r}", field="name", rule=Rule.NAME_TAKEN
        )


async def register_unit(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, data: UnitIn
) -> UnitOut:
    check_may_change(principal, edition, data.county, edition.registration_frozen(now))
    name = normalise_name(data.name)
    await _check_name_free(uow, data.county, name)
    row = data.model_dump(mode="json") | {
        "id": str(uuid.uuid4()),
        "name": name,
        "created_at": now,
        "created_by": principal.id,
        "updated_at": now,
        "updated_by": principal.id,
    }
    await uow.session.execute(insert(units).values(row))
    public = UnitRegisteredData(unit_id=row["id"], county=data.county, name=name, kind=data.kind)
    uow.emit(UnitRegistered(edition=edition.code, actor=principal.id, occurred_at=now, data=public))
    return UnitOut.model_validate(row)


async def update_unit(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    unit_id: uuid.UUID,
    patch: UnitPatch,
) -> UnitOut:
    current = await _load(uow, unit_id)
    check_may_change(principal, edition, current["county"], edition.registration_frozen(now))
    wanted = patch.model_dump(mode="json", exclude_unset=True)
    if "name" in wanted:
        wanted["name"] = normalise_name(wanted["name"])
        await _check_name_free(uow, current["county"], wanted["name"], except_id=current["id"])
    changed = {k: v for k, v in wanted.items() if current[k] != v}
    if not changed:
        return UnitOut.model_validate(current)  # nothing to change: no write, no event
    row = current | changed | {"updated_at": now, "updated_by": principal.id}
    await uow.session.execute(update(units).where(units.c.id == row["id"]).values(row))
    data = UnitUpdatedData(
        unit_id=row["id"],
        county=row["county"],
        name=row["name"],
        kind=row["kind"],
        changed=tuple(changed),
    )
    uow.emit(UnitUpdated(edition=edition.code, actor=principal.id, occurred_at=now, data=data))
    return UnitOut.model_validate(row)


async def show_unit(
    uow: UnitOfWork, edition: Edition, principal: Principal, unit_id: uuid.UUID
) -> UnitOut:
    row = await _load(uow, unit_id)
    check_may_read(principal, edition, row["county"])
    return UnitOut.model_validate(row)


async def list_units(
    uow: UnitOfWork,
    edition: Edition,
    principal: Principal,
    page: PageRequest,
    county: str | None,
    kind: UnitKind | None,
) -> Page[UnitOut]:
    county = visible_county(edition, principal, county)
    query = select(units)
    if county:
        query = query.where(units.c.county == county)
    if kind:
        query = query.where(units.c.kind == kind.value)
    return await paginate(
        uow.session, query, page, UnitOut.model_validate, units.c.county, units.c.name
    )


def visible_county(edition: Edition, principal: Principal, county: str | None) -> str | None:
    """The county a listing is confined to: the caller's own, unless they may read all.

    `county` is one of the edition's (the API checks it: CountyFilter)."""
    if may_read_all(principal, edition):
        return county
    if principal.county is None:
        raise Forbidden(f"{principal.role} may not read registrations")
    if county is not None and county != principal.county:
        raise Forbidden(f"{principal.role} may not read registrations of county {county!r}")
    return principal.county


async def _load(uow: UnitOfWork, unit_id: uuid.UUID) -> dict:
    row = (await uow.session.execute(select(units).where(units.c.id == str(unit_id)))).first()
    if row is None:
        raise NotFound(f"no unit {unit_id}", field="unit_id")
    return row._asdict()
