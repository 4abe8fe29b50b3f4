"""Read side: what the projections say per county and overall, for HTTP and Prometheus."""

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.models import (
    achievements,
    booths,
    bulletins,
    county_units,
    halls,
    projects,
    publicity_items,
    releases,
)
from services.reporting.readiness import CountyFacts, score
from shared.edition import Edition
from shared.runtime import Runtime


async def units_per_county(runtime: Runtime) -> dict[str, int]:
    counts = dict.fromkeys(sorted(runtime.edition.county_codes), 0)
    async with runtime.sessions() as session:
        for county, units in (await session.execute(select(county_units))).all():
            counts[county] = units
    return counts


def _nested() -> defaultdict:
    return defaultdict(dict)


async def county_status(session: AsyncSession, edition: Edition) -> dict[str, dict]:
    """Every figure per county, with its readiness score and red/amber/green."""
    counties = sorted(edition.county_codes)
    units = dict((await session.execute(select(county_units.c.county, county_units.c.units))).all())
    by_status = _nested()
    for county, status, n in await session.execute(
        select(achievements.c.county, achievements.c.status, func.count()).group_by(
            achievements.c.county, achievements.c.status
        )
    ):
        by_status[county][status] = n
    hall_of = {
        c: (stage, failed)
        for c, stage, failed in await session.execute(
            select(halls.c.county, halls.c.stage, halls.c.inspection_failed)
        )
    }
    booth_counts = {
        c: (total, assigned)
        for c, total, assigned in await session.execute(
            select(booths.c.county, func.count(), func.count(booths.c.achievement_id)).group_by(
                booths.c.county
            )
        )
    }
    release_counts = _nested()
    for county, status, n in await session.execute(
        select(releases.c.county, releases.c.status, func.count()).group_by(
            releases.c.county, releases.c.status
        )
    ):
        release_counts[county][status] = n
    signing = _nested()
    for county, stage, n, amount in await session.execute(
        select(
            projects.c.county, projects.c.stage, func.count(), func.sum(projects.c.amount_cny)
        ).group_by(projects.c.county, projects.c.stage)
    ):
        signing[county][stage] = {"count": n, "amount_cny": int(amount or 0)}
    published = dict(
        (
            await session.execute(
                select(publicity_items.c.county, func.count())
                .where(publicity_items.c.status == "published")
                .group_by(publicity_items.c.county)
            )
        ).all()
    )
    bulletin_counts = _nested()
    for county, status, n in await session.execute(
        select(bulletins.c.county, bulletins.c.status, func.count()).group_by(
            bulletins.c.county, bulletins.c.status
        )
    ):
        bulletin_counts[county][status] = n

    result = {}
    for county in counties:
        stage, failed = hall_of.get(county, (None, False))
        total, assigned = booth_counts.get(county, (0, 0))
        facts = CountyFacts(
            stage,
            total,
            assigned,
            dict(by_status[county]),
            {k: v["count"] for k, v in signing[county].items()},
        )
        value, rag, parts = score(facts, edition.readiness)
        result[county] = {
            "county": county,
            "name": edition.county(county).name,
            "units": units.get(county, 0),
            "achievements": dict(by_status[county]),
            "hall": {"stage": stage, "inspection_failed": failed},
            "booths": {"total": total, "assigned": assigned},
            "releases": dict(release_counts[county]),
            "signings": dict(signing[county]),
            "publicity_published": published.get(county, 0),
            "bulletins": {
                "received": sum(bulletin_counts[county].values()),
                "adopted": bulletin_counts[county].get("adopted", 0),
            },
            "readiness": {"score": value, "rag": rag, "parts": parts},
        }
    return result


def overall(per_county: dict[str, dict]) -> dict:
    """Sums over counties (themed halls and groups' publicity are not any county's)."""
    total = {
        "units": 0,
        "achievements": defaultdict(int),
        "booths": {"total": 0, "assigned": 0},
        "signings": defaultdict(lambda: {"count": 0, "amount_cny": 0}),
    }
    rags = defaultdict(int)
    for status in per_county.values():
        total["units"] += status["units"]
        for k, n in status["achievements"].items():
            total["achievements"][k] += n
        for k in ("total", "assigned"):
            total["booths"][k] += status["booths"][k]
        for stage, figures in status["signings"].items():
            total["signings"][stage]["count"] += figures["count"]
            total["signings"][stage]["amount_cny"] += figures["amount_cny"]
        rags[status["readiness"]["rag"]] += 1
    return {
        "units": total["units"],
        "achievements": dict(total["achievements"]),
        "booths": total["booths"],
        "signings": {k: dict(v) for k, v in total["signings"].items()},
        "counties_by_rag": {rag: rags.get(rag, 0) for rag in ("green", "amber", "red")},
    }
