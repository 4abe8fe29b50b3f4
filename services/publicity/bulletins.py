"""Information bulletins (信息报送): short progress news to the committee, adopted or not."""

import uuid
from datetime import date, datetime

from sqlalchemy import insert, select, update

from services.publicity.domain import AdoptionPeriod, BulletinStatus, Rule, author_of
from services.publicity.models import bulletins
from services.publicity.schemas import AdoptionCount, BulletinIn, BulletinOut
from shared.api import Page, PageRequest, paginate
from shared.auth import Principal
from shared.edition import Edition
from shared.events.publicity import (
    BulletinAdopted,
    BulletinData,
    BulletinNotAdopted,
    BulletinSubmitted,
)
from shared.problems import Conflict, Forbidden, NotFound, RuleViolated
from shared.uow import UnitOfWork

RECEIVED, ADOPTED, NOT_ADOPTED = (s.value for s in BulletinStatus)


def is_decider(principal: Principal, edition: Edition) -> bool:
    """The committee and the coordination group decide what is adopted (采用)."""
    return principal.is_committee or principal.group == edition.responsibilities.coordination


async def submit(
    uow: UnitOfWork, edition: Edition, now: datetime, principal: Principal, data: BulletinIn
) -> BulletinOut:
    source, county = author_of(principal, edition)
    row = data.model_dump() | {
        "id": str(uuid.uuid4()),
        "source": source,
        "county": county,
        "day": edition.local_date(now),
        "status": RECEIVED,
        "reason": None,
        "decided_at": None,
        "decided_by": None,
        "created_at": now,
        "created_by": principal.id,
    }
    await uow.session.execute(insert(bulletins).values(row))
    uow.emit(
        BulletinSubmitted(
            edition=edition.code, actor=principal.id, occurred_at=now, data=_data(row)
        )
    )
    return BulletinOut.model_validate(row)


async def decide(
    uow: UnitOfWork,
    edition: Edition,
    now: datetime,
    principal: Principal,
    bulletin_id: uuid.UUID,
    adopted: bool,
    reason: str | None,
) -> BulletinOut:
    if not is_decider(principal, edition):
        raise Forbidden(
            f"only the committee and group:{edition.responsibilities.coordination} decide on bulletins"
        )
    row = await _load(uow, bulletin_id)
    if row["status"] != RECEIVED:
        raise RuleViolated(
            f"the bulletin was already {row['status']}", field="status", rule=Rule.ALREADY_DECIDED
        )
    values = {
        "status": ADOPTED if adopted else NOT_ADOPTED,
        "reason": reason,
        "decided_at": now,
        "decided_by": principal.id,
    }
    result = await uow.session.execute(
        update(bulletins)
        .where(bulletins.c.id == row["id"], bulletins.c.status == RECEIVED)
        .values(values)
    )
    if result.rowcount != 1:
        raise Conflict(
            "the bulletin was decided meanwhile", field="status", rule=Rule.ALREADY_DECIDED
        )
    row |= values
    event = BulletinAdopted if adopted else BulletinNotAdopted
    uow.emit(event(edition=edition.code, actor=principal.id, occurred_at=now, data=_data(row)))
    return BulletinOut.model_validate(row)


async def list_bulletins(
    uow: UnitOfWork,
    edition: Edition,
    principal: Principal,
    page: PageRequest,
    status: BulletinStatus | None,
) -> Page[BulletinOut]:
    query = select(bulletins)
    if not is_decider(principal, edition):
        source, _county = author_of(principal, edition)
        query = query.where(bulletins.c.source == source)
    if status:
        query = query.where(bulletins.c.status == status.value)
    return await paginate(
        uow.session, query, page, BulletinOut.model_validate, bulletins.c.created_at, bulletins.c.id
    )


async def show(
    uow: UnitOfWork, edition: Edition, principal: Principal, bulletin_id: uuid.UUID
) -> BulletinOut:
    """A bulletin, to its author (a county or group its own) and to those who decide."""
    row = await _load(uow, bulletin_id)
    if not is_decider(principal, edition):
        source, _county = author_of(principal, edition)
        if row["source"] != source:
            raise Forbidden(f"{principal.role} may not read bulletins of {row['source']}")
    return BulletinOut.model_validate(row)


async def adoption_counts(
    uow: UnitOfWork, period: AdoptionPeriod, since: date | None, until: date | None
) -> list[AdoptionCount]:
    """Received and adopted per source and period (a classic figure of 信息报送)."""
    query = select(bulletins.c.source, bulletins.c.day, bulletins.c.status)
    if since:
        query = query.where(bulletins.c.day >= since)
    if until:
        query = query.where(bulletins.c.day <= until)
    counts: dict[tuple[str, str], list[int]] = {}
    for source, day, status in await uow.session.execute(query):
        key = (source, _period_of(day, period))
        entry = counts.setdefault(key, [0, 0])
        entry[0] += 1
        entry[1] += status == ADOPTED
    return [
        AdoptionCount(source=s, period=p, received=r, adopted=a)
        for (s, p), (r, a) in sorted(counts.items())
    ]


def _period_of(day: date, period: str) -> str:
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    return "all"


async def _load(uow: UnitOfWork, bulletin_id) -> dict:
    row = (
        await uow.session.execute(select(bulletins).where(bulletins.c.id == str(bulletin_id)))
    ).first()
    if row is None:
        raise NotFound(f"no bulletin {bulletin_id}", field="bulletin_id")
    return row._asdict()


def _data(row: dict) -> BulletinData:
    return BulletinData(
        bulletin_id=row["id"],
        title=row["title"],
        source=row["source"],
        county=row["county"],
        day=row["day"],
        status=row["status"],
        reason=row["reason"],
    )
