"""Points a user gives (report places) placed in the COD areas, with the disputed flag."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from tansiq.domain.reports import Place, PlacedPlace

if TYPE_CHECKING:
    from tansiq.geo.locator import AreaLocator


def place_all(locator: AreaLocator, places: Iterable[Place]) -> tuple[PlacedPlace, ...]:
    """Each place with its areas; a point outside Iraq keeps its coordinates and no areas."""
    return tuple(_place(locator, p) for p in places)


def _place(locator: AreaLocator, place: Place) -> PlacedPlace:
    found = locator.locate(place.latitude, place.longitude)
    if found.outside_km > 0:
        return PlacedPlace(place, None, None, None, None, False)
    return PlacedPlace(
        place,
        found.adm1_pcode,
        found.adm2_pcode,
        found.adm3_pcode,
        found.adm1_en,
        found.disputed,
    )
