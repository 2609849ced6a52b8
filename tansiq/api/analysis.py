"""The analyses as map layers: GeoJSON of hot spots, emerging hot spots, next month's risk,
coverage and the vacuum, and recommended sites, for signed-in users.

Incidents are public data on every node; positions are marked, so the layers drawn from them
(coverage, vacuum, placement) use only the positions released to the caller's partner, read
through tansiq.store.positions (which fails closed) and audited like any read of positions.

Answers drawn from incidents are costly (Gi* with 999 permutations, forecasts): each is kept in
the app's ResultCache under its parameters and a fingerprint of the incidents, and computed
outside any database transaction: the caller is authenticated in one short transaction and the
inputs are read in another. Resolutions and date spans are capped so that no request runs for
minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import UTC, date
from typing import Annotated, Any

import numpy as np
import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.engine import Connection

from tansiq import positions
from tansiq.accounts import Principal
from tansiq.analysis import coverage, emerging, hotspots
from tansiq.analysis import placement as pl
from tansiq.analysis.events import EventArrays, day_number, empty_events
from tansiq.analysis.forecast import Risk, parse_month
from tansiq.analysis.region import cell_centres
from tansiq.api.auth import caller, optional_caller
from tansiq.api.deps import now
from tansiq.api.result_cache import results
from tansiq.domain.positions import Period, PositionFilter
from tansiq.errors import InvalidInput
from tansiq.risk import MAX_PRECISION, next_month_risk
from tansiq.sharing.reads import record_read
from tansiq.store.database import reading
from tansiq.store.events import event_arrays
from tansiq.store.fingerprints import incidents_fingerprint
from tansiq.store.positions import find_positions

router = APIRouter(tags=["analysis"])

GEOJSON = "application/geo+json"
DECIMALS = 5
"""Decimals of every coordinate sent (about 1 m)."""

MAX_HOTSPOT_RES = 7
MAX_RISK_RES = 7
MAX_RISK_CELLS = 5000
MAX_EMERGING_RES = 7
MAX_CUBE_BINS = 3_000_000
"""Cells x time steps of an emerging hot spot cube (about 5 s on two cores; UCDP's 29 years
in quarters at res 7 make about 0.26 million)."""
MAX_SITES = 20
MAX_SITE_RADIUS_KM = 50.0


def signed_in(request: Request) -> Principal:
    """The caller, authenticated in a transaction of its own that ends at once, so that no
    transaction stays open while an analysis computes."""
    with reading(request.app.state.engine) as conn:
        found = optional_caller(request, conn)
    return caller(found)


SignedIn = Annotated[Principal, Depends(signed_in)]
From = Annotated[date | None, Query(alias="from", description="first day of incidents (UTC)")]
To = Annotated[date | None, Query(alias="to", description="last day of incidents (UTC)")]


def _geojson(body: bytes) -> Response:
    return Response(body, media_type=GEOJSON)


def _dump(collection: dict[str, Any]) -> bytes:
    return orjson.dumps(_rounded(collection))


def _rounded(node: Any, coordinate: bool = False) -> Any:
    """A GeoJSON tree with every coordinate (a number under "coordinates") rounded."""
    if isinstance(node, float) and coordinate:
        return round(node, DECIMALS)
    if isinstance(node, list | tuple):
        return [_rounded(item, coordinate) for item in node]
    if isinstance(node, dict):
        return {k: _rounded(v, coordinate or k == "coordinates") for k, v in node.items()}
    return node


def _significant(value: float, digits: int = 4) -> float:
    """`value` to `digits` significant figures: the model's smallest terms (1e-4 and below)
    order cells with no history, so rounding to decimals would send them as 0."""
    return float(f"{value:.{digits}g}")


def _check_span(date_from: date | None, date_to: date | None) -> None:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidInput("from must not be after to")


def _check_res(res: int, most: int) -> int:
    if not 4 <= res <= most:
        raise InvalidInput(f"res must be 4 to {most}, got {res}")
    return res


def _from_incidents(
    request: Request,
    key: tuple[Hashable, ...],
    read: Callable[[Connection], Any],
    compute: Callable[[Any], dict[str, Any]],
) -> Response:
    """The answer for `key` over the node's incidents: from the cache under the incidents'
    fingerprint, or `read` in a short transaction and `compute`d after it. An import landing
    between the two reads files a newer answer under the older fingerprint, which no later
    request asks for: it costs one computation, never a stale answer."""
    engine = request.app.state.engine
    with reading(engine) as conn:
        fingerprint = incidents_fingerprint(conn)
    cache = results(request.app.state)

    def work() -> bytes:
        with reading(engine) as conn:
            inputs = read(conn)
        return _dump(compute(inputs))

    return _geojson(cache.get_or_compute((*key, fingerprint), work))


# ---- hot spots -------------------------------------------------------------------------------


@router.get("/api/analysis/hotspots.geojson", response_class=Response)
def hotspots_geojson(
    request: Request,
    who: SignedIn,
    date_from: From = None,
    date_to: To = None,
    res: Annotated[int, Query(description=f"H3 resolution, 4 to {MAX_HOTSPOT_RES}")] = 6,
    p: Annotated[
        str,
        Query(
            description="p-values from 999 conditional permutations, or normal ones from the"
            " z-scores (as ArcGIS does)",
            pattern="^(permutation|normal)$",
        ),
    ] = "permutation",
) -> Response:
    """Hot and cold spots of incidents (Getis-Ord Gi*, FDR-adjusted) per H3 cell: a hexagon per
    significant cell with `cell`, `class`, `gi_bin` (3..-3), `count`, `z`, `p`, `p_fdr`; the
    collection has `res`, `from`, `to`, `incidents`, `cells` (studied), `p_value` and
    `permutations` (0 for normal p-values)."""
    _check_span(date_from, date_to)
    _check_res(res, MAX_HOTSPOT_RES)

    def read(conn: Connection) -> EventArrays:
        return event_arrays(conn, date_from, date_to, max_precision=MAX_PRECISION)

    def compute(events: EventArrays) -> dict[str, Any]:
        found = hotspots.gi_star(events, res, p_value=p) if len(events) else None
        collection = found.geojson() if found else {"type": "FeatureCollection", "features": []}
        return {
            **collection,
            "res": res,
            "from": _day(date_from),
            "to": _day(date_to),
            "incidents": len(events),
            "cells": len(found.cells) if found else 0,
            "p_value": p,
            "permutations": found.permutations if found else 0,
        }

    return _from_incidents(request, ("hotspots", date_from, date_to, res, p), read, compute)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


# ---- emerging hot spots ----------------------------------------------------------------------


@router.get("/api/analysis/emerging.geojson", response_class=Response)
def emerging_geojson(
    request: Request,
    who: SignedIn,
    date_from: From = None,
    date_to: To = None,
    res: Annotated[int, Query(description=f"H3 resolution, 4 to {MAX_EMERGING_RES}")] = 6,
) -> Response:
    """Emerging hot spot patterns (ArcGIS's 17, space-time Gi* and Mann-Kendall) per H3 cell:
    a hexagon per cell with a pattern, with `cell`, `pattern` (ArcGIS's name), `key` (the
    same as a slug: "new-hot"), `count`, `hot_steps`, `cold_steps`, `trend_z`, `trend_p`; the
    collection has `res`, `from`, `to`, `unit` (month or quarter), `steps` and `cells`."""
    _check_span(date_from, date_to)
    _check_res(res, MAX_EMERGING_RES)

    def read(conn: Connection) -> EventArrays:
        return event_arrays(conn, date_from, date_to, max_precision=MAX_PRECISION)

    def compute(events: EventArrays) -> dict[str, Any]:
        if not len(events):
            raise InvalidInput("no incidents in these dates to analyse")
        first = day_number(date_from) if date_from else int(events.day.min())
        last = day_number(date_to) if date_to else int(events.day.max())
        _check_cube(events, res, emerging.time_steps(first, last))
        found = emerging.emerging_hotspots(events, res, first, last)
        collection = found.geojson()
        for feature in collection["features"]:
            feature["properties"]["key"] = pattern_key(feature["properties"]["pattern"])
        return {
            **collection,
            "res": res,
            "from": _day(date_from),
            "to": _day(date_to),
            "unit": found.unit,
            "steps": len(found.step_labels),
            "cells": len(found.cells),
        }

    return _from_incidents(request, ("emerging", date_from, date_to, res), read, compute)


def pattern_key(pattern: str) -> str:
    """ArcGIS's pattern name as the map's key: "New Hot Spot" -> "new-hot"."""
    words = pattern.lower().removesuffix(" detected").removesuffix(" spot").split()
    return "-".join(words)


def _check_cube(events: EventArrays, res: int, steps: emerging.TimeSteps) -> None:
    """InvalidInput when the cube would be too big to compute during a request: its cells are
    the event cells and their rings (at most 7 each)."""
    bins = len(hotspots.cell_counts(events, res)[0]) * 7 * steps.count
    if bins > MAX_CUBE_BINS:
        raise InvalidInput(
            f"{steps.count} {steps.unit}s at res {res} make a cube too big to analyse here: "
            "choose fewer dates or a lower res"
        )


# ---- next month's risk -----------------------------------------------------------------------


@router.get("/api/analysis/risk.geojson", response_class=Response)
def risk_geojson(
    request: Request,
    who: SignedIn,
    month: Annotated[
        str | None, Query(description="YYYY-MM; default: the month after the latest incident")
    ] = None,
    res: Annotated[int, Query(description=f"H3 resolution, 4 to {MAX_RISK_RES}")] = 6,
    limit: Annotated[int, Query(description=f"at most this many cells, 1 to {MAX_RISK_CELLS}")] = (
        2000
    ),
) -> Response:
    """Expected incidents per H3 cell in `month`: a hexagon per cell expecting more than none,
    highest first (`cell`, `expected`, `rank`); the collection has `month`, `res`,
    `total_expected` (over every cell) and `cells` (how many expect more than none)."""
    _check_res(res, MAX_RISK_RES)
    if not 1 <= limit <= MAX_RISK_CELLS:
        raise InvalidInput(f"limit must be 1 to {MAX_RISK_CELLS}, got {limit}")

    def read(conn: Connection) -> Risk:
        return next_month_risk(conn, month, res)

    def compute(risk: Risk) -> dict[str, Any]:
        return risk_collection(risk, limit)

    return _from_incidents(request, ("risk", month, res, limit), read, compute)


def risk_collection(risk: Risk, limit: int) -> dict[str, Any]:
    """The cells of a forecast expecting more than no incident, highest first, as GeoJSON."""
    order = np.argsort(-risk.expected, kind="stable")
    positive = [int(i) for i in order if risk.expected[i] > 0]
    rows = [
        {"cell": risk.cells[i], "expected": _significant(float(risk.expected[i])), "rank": rank}
        for rank, i in enumerate(positive[:limit], start=1)
    ]
    return {
        **hotspots.feature_collection(rows),
        "month": risk.month,
        "res": risk.res,
        "total_expected": round(float(risk.expected.sum()), 3),
        "cells": len(positive),
    }


# ---- coverage and the vacuum -----------------------------------------------------------------


def _visible_sites(
    request: Request, who: Principal, at: date
) -> tuple[list[coverage.Site], dict[str, str]]:
    """The sites of the positions released to the caller's partner and active on `at`, with
    their partners' names; the read is audited."""
    with reading(request.app.state.engine) as conn:
        rows = find_positions(conn, who.viewer, PositionFilter(active=Period.day(at)))
    record_read(request.app.state.engine, who, positions.audit_ids(rows), "api")
    names = {str(row["partner_code"]): str(row["partner_name"]) for row in rows}
    return coverage.sites_from_records(rows), names


def _sites_key(sites: list[coverage.Site]) -> tuple[Hashable, ...]:
    return tuple(sorted((s.partner, s.latitude, s.longitude, s.radius_m) for s in sites))


def _today(request: Request) -> date:
    return now(request).astimezone(UTC).date()


@router.get("/api/analysis/coverage.geojson", response_class=Response)
def coverage_geojson(
    request: Request,
    who: SignedIn,
    at: Annotated[
        date | None, Query(description="positions active on this day (UTC); default today")
    ] = None,
) -> Response:
    """Coverage of the disputed territory by the positions released to the caller: one
    feature per `layer`: `partner` (a partner's coverage, with `partner` and `partner_name`),
    `overlap` (more than one partner), `uncovered` (the disputed territory outside every
    circle) and `seam` (the uncovered part near both sides); each with `area_km2`. The
    collection has `at`, `positions` and the report's areas."""
    day = at or _today(request)
    sites, names = _visible_sites(request, who, day)
    cache = results(request.app.state)
    body = cache.get_or_compute(
        ("coverage", day, _sites_key(sites)),
        lambda: _dump(coverage_collection(sites, names, day)),
    )
    return _geojson(body)


def coverage_collection(
    sites: list[coverage.Site], names: dict[str, str], day: date
) -> dict[str, Any]:
    """The vacuum report's layers for `sites` (those active on `day`), each feature named by
    `layer` (and `partner`); empty layers are left out."""
    report = coverage.vacuum(sites, coverage.disputed_units(), empty_events(), None)
    features = []
    for feature in filter(_drawable, report.geojson()["features"]):
        layer = str(feature["properties"]["layer"])
        if layer.startswith("coverage:"):
            code = layer.partition(":")[2]
            extra = {"layer": "partner", "partner": code, "partner_name": names.get(code, code)}
            feature = {**feature, "properties": {**feature["properties"], **extra}}
        features.append(feature)
    summary = report.as_dict()
    return {
        "type": "FeatureCollection",
        "features": features,
        "at": day.isoformat(),
        "positions": len(sites),
        **{k: summary[k] for k in ("disputed_km2", "uncovered_km2", "seam_km", "seam_km2")},
    }


def _drawable(feature: dict[str, Any]) -> bool:
    geometry = feature["geometry"]
    return bool(geometry.get("coordinates") or geometry.get("geometries"))


# ---- recommended sites ---------------------------------------------------------------------


@router.get("/api/analysis/placement.geojson", response_class=Response)
def placement_geojson(
    request: Request,
    who: SignedIn,
    k: Annotated[int, Query(description=f"how many new sites, 1 to {MAX_SITES}")] = 5,
    radius_km: Annotated[
        float, Query(description=f"how far a new site reaches, up to {MAX_SITE_RADIUS_KM:g} km")
    ] = 10.0,
    month: Annotated[
        str | None, Query(description="YYYY-MM; default: the month after the latest incident")
    ] = None,
    res: Annotated[int, Query(description="H3 resolution of the risk cells, 4 to 7")] = 7,
    at: Annotated[
        date | None, Query(description="positions in place on this day (UTC); default today")
    ] = None,
) -> Response:
    """Where `k` new joint sites would cover the most of `month`'s forecast risk in the
    disputed districts not already covered by the positions released to the caller and
    active on `at` (greedy maximal covering, within 1 - 1/e of the optimum). A point per site
    by rank, with `rank`, `site` (a place name or an H3 cell), `kind`, `gain` (the risk it adds)
    and `cumulative`; the collection has `covered_before`, `covered_after`, `total`, `month`,
    `positions` and the parameters."""
    if not 1 <= k <= MAX_SITES:
        raise InvalidInput(f"k must be 1 to {MAX_SITES}, got {k}")
    if not 0 < radius_km <= MAX_SITE_RADIUS_KM:
        raise InvalidInput(f"radius_km must be more than 0 and at most {MAX_SITE_RADIUS_KM:g}")
    _check_res(res, 7)
    if month is not None:
        parse_month(month)
    day = at or _today(request)
    sites, _ = _visible_sites(request, who, day)
    key = ("placement", k, radius_km, month, res, day, _sites_key(sites))

    def read(conn: Connection) -> Risk:
        return next_month_risk(conn, month, res)

    def compute(risk: Risk) -> dict[str, Any]:
        return placement_collection(risk, sites, k, radius_km, day)

    return _from_incidents(request, key, read, compute)


def placement_collection(
    risk: Risk, sites: list[coverage.Site], k: int, radius_km: float, day: date
) -> dict[str, Any]:
    """The greedy plan of `k` sites as GeoJSON points, ranked, with the risk covered."""
    candidates = pl.candidate_sites(risk.res)
    demand = pl.Demand(*cell_centres(list(risk.cells)), risk.expected)
    found = pl.plan(demand, candidates, pl.Existing.from_sites(sites), k, radius_km, None)
    features = []
    cumulative = found.before
    for rank, (site, gain) in enumerate(zip(found.chosen.sites, found.chosen.gains, strict=True)):
        cumulative += gain
        point = [float(candidates.longitude[site]), float(candidates.latitude[site])]
        properties = {
            "rank": rank + 1,
            "site": candidates.label[site],
            "kind": "place" if candidates.is_place[site] else "cell",
            "gain": round(gain, 4),
            "cumulative": round(cumulative, 4),
        }
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": point},
                "properties": properties,
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "month": risk.month,
        "res": risk.res,
        "k": k,
        "radius_km": radius_km,
        "at": day.isoformat(),
        "positions": len(sites),
        "method": "greedy",
        "total": round(found.total, 4),
        "covered_before": round(found.before, 4),
        "covered_after": round(found.after_greedy, 4),
    }
