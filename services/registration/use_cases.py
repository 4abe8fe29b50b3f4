"""Registration use cases: load, decide, save, emit. The caller commits the unit of work."""

import uuid

from sqlalchemy import insert, select

from services.registration.domain import normalise_name
from services.registration.models import units
from services.registration.schemas import UnitIn, UnitOut
from shared.auth import Principal
from shared.db import utcnow
from shared.edition import Edition
from shared.events import UnitRegistered, UnitRegisteredData
from shared.problems import Conflict, InvalidInput, NotFound
from shared.uow import UnitOfWork


def check_county(edition: Edition, county: str) -> None:
    if county not in edition.county_codes:
        known = ", ".join(sorted(edition.county_codes))
        raise InvalidInput(f"unknown county {county!r}; known: {known}", field="county")


async def register_unit(
    uow: UnitOfWork, edition: Edition, principal: Principal, data: UnitIn
) -> UnitOut:
    name = normalise_name(data.name)
    taken = await uow.session.scalar(
        select(units.c.id).where(units.c.county == data.county, units.c.name == name)
    )
    if taken is not None:
        raise Conflict(f"county {data.county} already has a unit named {name!r}", field="name")
    now = utcnow()
    row = {
        "id": str(uuid.uuid4()),
        "county": data.county,
        "name": name,
        "kind": data.kind.value,
        "contact_person": data.contact_person,
        "contact_phone": data.contact_phone,
        "created_at": now,
        "created_by": principal.id,
        "updated_at": now,
        "updated_by": principal.id,
    }
    await uow.session.execute(insert(units).values(row))
    uow.emit(
        UnitRegistered(
            edition=edition.code,
            actor=principal.id,
            occurred_at=now,
            data=UnitRegisteredData(
                unit_id=row["id"], county=data.county, name=name, kind=data.kind.value
            ),
        )
    )
    return UnitOut.model_validate(row)


async def get_unit(uow: UnitOfWork, unit_id: uuid.UUID) -> UnitOut:
    row = (await uow.session.execute(select(units).where(units.c.id == str(unit_id)))).first()
    if row is None:
        raise NotFound(f"no unit {unit_id}", field="unit_id")
    return UnitOut.model_validate(row._asdict())
