"""Geocode route: the place a text names, for the report form's "suggested place"."""

from __future__ import annotations

import functools
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from tansiq.analysis.geocoding import Geocoder
from tansiq.api.auth import caller
from tansiq.errors import InvalidInput

MAX_QUERY = 2000
"""Characters of text the route reads; a report's opening lines, not a whole document."""

router = APIRouter(tags=["geocode"], dependencies=[Depends(caller)])
"""Signed-in callers only, like the report form that asks it."""


@functools.cache
def shipped_geocoder() -> Geocoder:
    """One geocoder over the shipped gazetteer for the process (read-only once built)."""
    return Geocoder.from_shipped()


@router.get("/api/geocode")
def geocode(
    q: Annotated[str, Query(description="The text: English, Arabic or Sorani Kurdish.")],
) -> dict[str, Any] | None:
    """The place the text names (latitude, longitude, adm1_pcode, adm2_pcode, matched_name,
    confidence 0..1), or null when it names none or too uncertainly."""
    if not q.strip():
        raise InvalidInput("q: give some text to find a place in")
    if len(q) > MAX_QUERY:
        raise InvalidInput(f"q: at most {MAX_QUERY} characters")
    match = shipped_geocoder().geocode(q)
    return None if match is None else match.as_dict()
