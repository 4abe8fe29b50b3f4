"""Auto-allocation: place every unassigned approved achievement that fits, using the floor well.

Best-fit decreasing: the largest needs are placed first, each into the smallest free booth
that has the area and the power it needs, so big booths stay free for big exhibits. County
halls take their own county's achievements; themed halls take what is left from any county.
Pure computation: O(n log n) for the sort plus a bisect per placement.
"""

import bisect
from dataclasses import dataclass

from services.exhibitions.domain import BoothSpace, Exhibit


@dataclass(frozen=True)
class Plan:
    placements: list[tuple[Exhibit, BoothSpace]]
    unplaced: list[tuple[Exhibit, str]]


class _FreeBooths:
    """Free booths of some halls, sorted by (area, power), taking the best fit out."""

    def __init__(self, spaces: list[BoothSpace]) -> None:
        self._spaces = sorted(spaces, key=lambda b: (b.area_m2, b.power_kw, b.booth_id))
        self._areas = [b.area_m2 for b in self._spaces]

    def take(self, area: float, power: float) -> BoothSpace | None:
        start = bisect.bisect_left(self._areas, area)
        for i in range(start, len(self._spaces)):
            if self._spaces[i].power_kw >= power:
                del self._areas[i]
                return self._spaces.pop(i)
        return None

    def why_not(self, area: float, power: float) -> str:
        if not self._spaces:
            return "no free booth left"
        if self._areas[-1] < area:
            return f"needs {area:g} m²; the largest free booth has {self._areas[-1]:g} m²"
        return f"no free booth of {area:g} m² or more has {power:g} kW"


def propose(exhibits: list[Exhibit], free: list[BoothSpace]) -> Plan:
    """`exhibits`: approved and unassigned; `free`: booths with nothing in them."""
    by_county: dict[str | None, list[BoothSpace]] = {}
    for booth in free:
        by_county.setdefault(booth.hall_county, []).append(booth)
    county_halls = {county: _FreeBooths(spaces) for county, spaces in by_county.items() if county}
    themed = _FreeBooths(by_county.get(None, []))

    placements: list[tuple[Exhibit, BoothSpace]] = []
    largest_first = sorted(
        exhibits, key=lambda e: (-e.floor_area_m2, -e.power_kw, e.achievement_id)
    )
    left: list[tuple[Exhibit, str]] = []
    for exhibit in largest_first:  # first pass: each county's own hall
        own = county_halls.get(exhibit.county)
        booth = own.take(exhibit.floor_area_m2, exhibit.power_kw) if own else None
        if booth is not None:
            placements.append((exhibit, booth))
        elif own is not None:
            left.append((exhibit, own.why_not(exhibit.floor_area_m2, exhibit.power_kw)))
        else:
            left.append((exhibit, f"no free booth of a {exhibit.county} hall in this plan"))
    unplaced: list[tuple[Exhibit, str]] = []
    for exhibit, why in left:  # second pass: what is left goes to themed halls, largest first
        booth = themed.take(exhibit.floor_area_m2, exhibit.power_kw)
        if booth is not None:
            placements.append((exhibit, booth))
        elif by_county.get(None):
            unplaced.append(
                (
                    exhibit,
                    f"{why}; themed halls: {themed.why_not(exhibit.floor_area_m2, exhibit.power_kw)}",
                )
            )
        else:
            unplaced.append((exhibit, why))
    return Plan(placements, unplaced)
